import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.js';
import type { Actor } from '../api-keys/principal.js';
import type { PublishedTemplate } from '../templates/service.js';
import { templateLoader, withTemplate, type TemplateSource } from './with-template.js';

const published: PublishedTemplate = {
  templateId: 'tmpl_1',
  versionId: 'tmplv_1',
  subject: 'Hi {{{NAME}}}',
  html: '<b>{{{NAME}}}</b>',
  text: null,
  from: 'a@acme.test',
  replyTo: null,
  variables: [{ key: 'NAME', type: 'string', fallbackValue: null }],
};
const sender = { organizationId: 'org_1', projectId: 'proj_1', mode: 'live', domainIds: [] } as const;

/** A template source that counts its look-ups and remembers who asked. */
function countingSource(): TemplateSource & { calls: string[]; actors: Actor[] } {
  const calls: string[] = [];
  const actors: Actor[] = [];
  return {
    calls,
    actors,
    publishedForSending: async (actor, idOrAlias) => {
      calls.push(idOrAlias);
      actors.push(actor);
      if (idOrAlias === 'missing') throw new AppError('not_found', 'Template not found');
      return published;
    },
  };
}

describe('templateLoader', () => {
  it('loads each distinct id or alias once per request, refusals included', async () => {
    const source = countingSource();
    const load = templateLoader(source, sender);
    await Promise.all([load('tmpl_1'), load('tmpl_1'), load('welcome'), load('welcome')]);
    await expect(load('missing')).rejects.toThrow('Template not found');
    await expect(load('missing')).rejects.toThrow('Template not found');
    expect(source.calls).toEqual(['tmpl_1', 'welcome', 'missing']);
  });

  it("reads as the sender's project, as a key of that project would", async () => {
    const source = countingSource();
    await templateLoader(source, sender)('tmpl_1');
    expect(source.actors[0]).toMatchObject({ organizationId: 'org_1', projectId: 'proj_1', projectOnly: true });
  });
});

describe('withTemplate', () => {
  const load = templateLoader(countingSource(), sender);
  const field = (name: string): string => `[2].${name}`;

  it('renders the published version and records the variables given', async () => {
    const fill = await withTemplate({ id: 'tmpl_1', variables: { NAME: '<Ann>' } }, {}, { load, field });
    expect(fill).toEqual({ templateId: 'tmpl_1', variables: { NAME: '<Ann>' }, subject: 'Hi <Ann>', html: '<b>&lt;Ann&gt;</b>', text: null, from: 'a@acme.test', replyTo: null });
  });

  it('refuses html or text beside a template, and names variables where they came from', async () => {
    await expect(withTemplate({ id: 'tmpl_1' }, { html: '<p/>' }, { load, field })).rejects.toThrow('[2].html: cannot be given with template');
    await expect(withTemplate({ id: 'tmpl_1' }, { text: '' }, { load, field })).rejects.toThrow('[2].text: cannot be given with template');
    await expect(withTemplate({ id: 'tmpl_1' }, {}, { load, field })).rejects.toThrow('[2].template.variables.NAME: is missing');
    await expect(withTemplate({ id: 'tmpl_1' }, {}, { load, field, variablesField: 'X-Postgate-Variables' })).rejects.toThrow('X-Postgate-Variables.NAME: is missing');
  });
});
