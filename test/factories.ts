import type { Deps } from '../src/app/deps.js';
import { operator } from '../src/modules/api-keys/principal.js';
import type { CreateKeyBody } from '../src/modules/api-keys/schemas.js';
import type { KeyWithToken } from '../src/modules/api-keys/service.js';
import { createOrganization, type OrganizationObject } from '../src/modules/organizations/service.js';
import { newId } from '../src/lib/ids.js';
import { domains } from '../src/db/schema.js';
import { generateDkimPrivateKey } from '../src/modules/domains/dkim.js';

export type OrgFixture = { org: OrganizationObject; key: KeyWithToken; token: string };

/** An organization with one full-access key, made through the services (as the CLI does). */
export async function orgWithKey(deps: Deps, name = 'acme', key: Partial<CreateKeyBody> = {}): Promise<OrgFixture> {
  const org = await createOrganization({ db: deps.database.db, clock: deps.clock }, { name });
  const created = await keyFor(deps, org, { name: 'owner', ...key });
  return { org, key: created, token: created.token };
}

export async function keyFor(deps: Deps, org: OrganizationObject, body: Partial<CreateKeyBody>): Promise<KeyWithToken> {
  const actor = operator(org.id, org.default_project_id);
  return deps.services.apiKeys.create(actor, { name: 'key', ...body });
}

/** A domain row of the organization (verified unless told otherwise). */
export async function domainFor(deps: Deps, org: OrganizationObject, name: string, status: 'verified' | 'pending' = 'verified'): Promise<string> {
  const id = newId('domain');
  const dkimPrivateKey = await generateDkimPrivateKey();
  await deps.database.db.insert(domains).values({ id, organizationId: org.id, projectId: org.default_project_id, name, status, dkimPrivateKey });
  return id;
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** A webhook endpoint of the organization's default project (never dialled: no worker runs in the matrices). */
export async function webhookFor(deps: Deps, org: OrganizationObject): Promise<string> {
  return (await deps.services.webhooks.create(operator(org.id, org.default_project_id), { endpoint: 'https://hooks.example.com/matrix', events: ['email.sent'] })).id;
}

/** A webhook and one event of its log (a test event), as `webhookId|eventId` for routes naming both. */
export async function webhookEventFor(deps: Deps, org: OrganizationObject): Promise<string> {
  const webhookId = await webhookFor(deps, org);
  const event = await deps.services.webhooks.sendTest(operator(org.id, org.default_project_id), webhookId);
  return `${webhookId}|${event.id}`;
}
