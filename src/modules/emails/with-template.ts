import { SYSTEM_IDENTITY } from '../audit/record.js';
import { operator, type Actor } from '../api-keys/principal.js';
import { renderTemplate } from '../templates/render.js';
import type { PublishedTemplate, TemplateService } from '../templates/service.js';
import { AppError, validationError } from '../../lib/errors.js';
import type { TemplateInput } from './schemas.js';
import type { Sender } from './sending-rules.js';

// Sending with `template: {id, variables}`: the template's PUBLISHED version renders the email's
// subject, html and text (templates/render.ts: values HTML-escaped in html, as given in subject
// and text; a missing or undeclared variable is a 422 naming it), and its from, subject and
// reply_to stand in for the fields the request leaves out (prepare.ts). Published versions are
// never edited, so what a template sends changes only when it is published again.

/** The published version of a template by id or alias; loads each distinct one once per request. */
export type TemplateLoader = (idOrAlias: string) => Promise<PublishedTemplate>;

export type TemplateSource = Pick<TemplateService, 'publishedForSending'>;

/** What a template gives an email: its rendered content, its defaults, and what the email records. */
export type TemplateFill = Readonly<{
  templateId: string;
  variables: Record<string, string | number>;
  subject: string | null;
  html: string;
  text: string | null;
  from: string | null;
  replyTo: string[] | null;
}>;

/**
 * A loader for one request (one email, or a whole batch, which then loads each template once).
 * A sender sees the templates of its own project, exactly what a key of that project sees (an
 * alias is resolved there; another organization's template is 404).
 */
export function templateLoader(source: TemplateSource, sender: Sender): TemplateLoader {
  // Made on first use: most sends name no template.
  let reader: Actor | undefined;
  const loaded = new Map<string, Promise<PublishedTemplate>>();
  return (idOrAlias) => {
    let template = loaded.get(idOrAlias);
    if (!template) {
      reader ??= { ...operator(sender.organizationId, sender.projectId, SYSTEM_IDENTITY), projectOnly: true };
      template = source.publishedForSending(reader, idOrAlias);
      loaded.set(idOrAlias, template);
    }
    return template;
  };
}

/**
 * Renders `template` for one email. `content` is what the request gives beside it: html and text
 * are refused (the template is the content; the SDK sends `react` as html). `field` names fields
 * the way the request does (`[2].html`); `variablesField` is where the variables came from
 * (`template.variables`, or an SMTP header).
 */
export async function withTemplate(
  template: TemplateInput,
  content: { html?: string | undefined; text?: string | undefined },
  options: { load: TemplateLoader; field: (name: string) => string; variablesField?: string | undefined; templateField?: string | undefined },
): Promise<TemplateFill> {
  for (const name of ['html', 'text'] as const) {
    if (content[name] !== undefined) throw validationError(options.field(name), 'cannot be given with template: the template gives the content');
  }
  const published = await loadNamed(options.load, template.id, options.templateField ?? options.field('template.id'));
  const variables = template.variables ?? {};
  const rendered = renderTemplate(published, variables, { field: options.variablesField ?? options.field('template.variables') });
  return {
    templateId: published.templateId,
    variables,
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    from: published.from,
    replyTo: published.replyTo,
  };
}

/**
 * The template's published version; a refusal (unknown, never published) names the field the
 * request named it in (`[2].template.id`, `X-Postgate-Template`), keeping its code and status.
 */
async function loadNamed(load: TemplateLoader, idOrAlias: string, field: string): Promise<PublishedTemplate> {
  try {
    return await load(idOrAlias);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const reason = error.field === undefined ? error.message : error.message.slice(error.field.length).replace(/^:\s*/, '');
    throw new AppError(error.code, `${field}: ${reason}`, { ...error.details, field });
  }
}
