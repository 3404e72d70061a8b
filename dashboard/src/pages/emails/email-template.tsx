import type { ReactNode } from 'react';
import type { EmailDetail } from '../../api/types.ts';

const shown = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** The template an email was sent with and the variables given; nothing for an email sent without one. */
export function EmailTemplate({ email }: { email: EmailDetail }): ReactNode {
  if (!email.template_id) return null;
  const variables = Object.entries(email.template_variables ?? {});
  return (
    <section aria-labelledby="email-template-title">
      <h3 id="email-template-title">Template</h3>
      <p>
        Sent with <a href={`#/templates/${encodeURIComponent(email.template_id)}`}>{email.template_id}</a>
      </p>
      {variables.length > 0 ? (
        <dl className="message-headers">
          {variables.map(([key, value]) => (
            <div key={key} className="message-header">
              <dt>
                <code>{key}</code>
              </dt>
              <dd>{shown(value)}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p className="muted">No variables were given: the template’s fallback values were used.</p>
      )}
    </section>
  );
}
