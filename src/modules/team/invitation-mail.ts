import { and, asc, eq } from 'drizzle-orm';
import { domains } from '../../db/schema.js';
import { getOrganization } from '../organizations/service.js';
import type { MemberRole } from './roles.js';
import type { TeamDeps } from './team-deps.js';

// Invitations are mailed through Postgate itself, from no-reply@ one of the organization's
// verified domains, like any other email it sends (queued, delivered by the worker, in the
// emails log). Without a verified domain nothing is sent: the inviter passes the link on.

/** Mail characters that could start a new header line or confuse a client: gone from names. */
const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();

/** True when the invitation was queued for delivery. A failure is logged (without the link) and reported as false. */
export async function mailInvitation(
  deps: TeamDeps,
  input: { organizationId: string; to: string; role: MemberRole; url: string; invitedBy: string },
): Promise<boolean> {
  const domain = await verifiedDomainOf(deps, input.organizationId);
  if (!domain) return false;
  const organization = await getOrganization(deps, input.organizationId);
  const name = oneLine(organization.name);
  const days = Math.round(deps.invitationTtlMs / 86_400_000);
  try {
    await deps.emails.send(
      { organizationId: input.organizationId, projectId: domain.projectId, mode: 'live', domainIds: [], system: true },
      {
        from: `Postgate <no-reply@${domain.name}>`,
        to: input.to,
        subject: `You are invited to join ${name} on Postgate`,
        text: [
          `${input.invitedBy} invited you to join ${name} on Postgate as ${input.role === 'admin' ? 'an' : 'a'} ${input.role}.`,
          '',
          `Accept the invitation and choose your password here (the link works once, for ${days} days):`,
          input.url,
          '',
          'If you did not expect this invitation, ignore this email.',
        ].join('\n'),
      },
    );
    return true;
  } catch (error) {
    // Security: the error is logged by its code only; the link (a secret) is never in the log.
    deps.logger?.warn({ organizationId: input.organizationId, code: (error as { code?: unknown }).code }, 'invitation email not sent');
    return false;
  }
}

/** The organization's verified domains, for the invitation mail's sender. */
export async function verifiedDomainOf(deps: Pick<TeamDeps, 'db'>, organizationId: string): Promise<{ name: string; projectId: string } | undefined> {
  const [row] = await deps.db
    .select({ name: domains.name, projectId: domains.projectId })
    .from(domains)
    .where(and(eq(domains.organizationId, organizationId), eq(domains.status, 'verified')))
    .orderBy(asc(domains.createdAt))
    .limit(1);
  return row;
}
