import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError } from '../../api/client.ts';
import type { RenderedTemplate, Template } from '../../api/types.ts';
import { Field } from '../../components/field.tsx';
import { Loading } from '../../components/states.tsx';
import { messageOf } from '../emails/message.ts';
import { MessageView } from '../emails/message-view.tsx';

/** How long typing pauses before the preview asks the server again. */
const DEBOUNCE_MS = 300;

type Props = {
  /** The template as stored: the server renders its draft, not the form's unsaved edits. */
  template: Template;
  /** The form has unsaved edits, which the preview does not show. */
  stale: boolean;
};

type Result = { rendered?: RenderedTemplate; error?: string };

/**
 * The draft rendered by the server (POST /templates/{id}/render) with sample values typed here,
 * in the sandboxed frame the email log uses: no scripts, an opaque origin, nothing fetched.
 */
export function TemplatePreview({ template, stale }: Props): ReactNode {
  const variables = useMemo(() => template.variables ?? [], [template]);
  const [samples, setSamples] = useState<Record<string, string>>({});
  const [result, setResult] = useState<Result>({});

  // Only declared variables, and only those given a value: an empty one falls back.
  const given = JSON.stringify(Object.fromEntries(variables.filter((v) => (samples[v.key] ?? '') !== '').map((v) => [v.key, samples[v.key]])));

  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      api.post<RenderedTemplate>(`/templates/${encodeURIComponent(template.id)}/render`, { variables: JSON.parse(given) as unknown }).then(
        (rendered) => current && setResult({ rendered }),
        // The last good preview stays while the values are incomplete.
        (error: unknown) => current && setResult((r) => ({ rendered: r.rendered, error: error instanceof ApiError ? error.message : String(error) })),
      );
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // The template object changes on every reload (after a save): the draft is rendered again.
  }, [template, given]);

  const { rendered } = result;
  return (
    <section className="template-preview" aria-labelledby="template-preview-title">
      <h2 id="template-preview-title">Preview</h2>
      {stale ? (
        <div className="callout callout-warning" role="note">
          The preview shows the saved draft. Save to preview your edits.
        </div>
      ) : null}
      {variables.length > 0 ? (
        <fieldset className="fieldset template-samples">
          <legend>Sample values</legend>
          {variables.map((v) => (
            <Field key={v.key} label={v.key} hint={v.fallback_value === null ? `${v.type}, no fallback: give a value` : `${v.type}; empty uses “${v.fallback_value}”`}>
              {(props) => (
                <input
                  {...props}
                  type="text"
                  inputMode={v.type === 'number' ? 'decimal' : undefined}
                  autoComplete="off"
                  value={samples[v.key] ?? ''}
                  onChange={(e) => setSamples({ ...samples, [v.key]: e.target.value })}
                />
              )}
            </Field>
          ))}
        </fieldset>
      ) : (
        <p className="muted">This draft declares no variables.</p>
      )}
      <p className="form-error" aria-live="polite">
        {result.error ?? ''}
      </p>
      {rendered ? (
        <MessageView
          message={messageOf(
            [
              ['From', template.from ?? undefined],
              ['Reply-To', template.reply_to?.join(', ')],
              ['Subject', rendered.subject ?? ''],
            ],
            rendered.html,
            rendered.text,
          )}
        />
      ) : result.error ? null : (
        <Loading label="Rendering the preview…" />
      )}
    </section>
  );
}
