import type { FormEvent, ReactNode } from 'react';
import { Field } from '../../components/field.tsx';
import { FormError } from '../../components/states.tsx';
import type { TemplateFormValue } from './template-form-value.ts';
import type { TemplateForm as FormState } from './use-template-form.ts';
import { VariablesEditor } from './variables-editor.tsx';

type Props = {
  /** The form's id, for submit buttons outside it. */
  id: string;
  form: FormState;
  readOnly: boolean;
  onSubmit: () => void;
};

type TextKey = 'name' | 'alias' | 'from' | 'replyTo' | 'subject';

/** The template's fields: settings, subject, html, text and the declared variables; errors beside each. */
export function TemplateForm({ id, form, readOnly, onSubmit }: Props): ReactNode {
  const { value, errors } = form;
  const set = (patch: Partial<TemplateFormValue>): void => form.change({ ...value, ...patch });
  // A one-line field's input, given the ids Field wires its label, hint and error with.
  const text = (key: TextKey, placeholder?: string) => (props: { id: string }) => (
    <input {...props} type="text" spellCheck={false} autoComplete="off" readOnly={readOnly} placeholder={placeholder} value={value[key]} onChange={(e) => set({ [key]: e.target.value })} />
  );

  return (
    <form
      id={id}
      className="form-stack template-form"
      noValidate
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      <div className="template-form-pair">
        <Field label="Name" hint="Shown in the dashboard only." error={errors.fields.name}>
          {text('name')}
        </Field>
        <Field label="Alias" hint="Optional: send with it instead of the id. Letters, digits, “.”, “_” and “-”." error={errors.fields.alias}>
          {text('alias', 'welcome-email')}
        </Field>
      </div>
      <div className="template-form-pair">
        <Field label="From" hint="Optional: used when the email gives none." error={errors.fields.from}>
          {text('from', 'Acme <hello@acme.example>')}
        </Field>
        <Field label="Reply-to" hint="Optional: one address, or several separated by commas." error={errors.fields.reply_to}>
          {text('replyTo')}
        </Field>
      </div>
      <Field label="Subject" hint="Variables are written {{{KEY}}}, as in the HTML and text." error={errors.fields.subject}>
        {text('subject', 'Welcome, {{{NAME}}}')}
      </Field>
      <Field label="HTML" hint="Values are HTML-escaped where they appear here." error={errors.fields.html}>
        {(props) => (
          <textarea {...props} className="template-code" rows={14} spellCheck={false} readOnly={readOnly} value={value.html} onChange={(e) => set({ html: e.target.value })} />
        )}
      </Field>
      <Field label="Text" hint="Optional: the plain-text part. Values appear as given." error={errors.fields.text}>
        {(props) => (
          <textarea {...props} className="template-code" rows={6} spellCheck={false} readOnly={readOnly} value={value.text} onChange={(e) => set({ text: e.target.value })} />
        )}
      </Field>
      <VariablesEditor rows={value.variables} errors={errors.rows} error={errors.fields.variables} readOnly={readOnly} onChange={(variables) => set({ variables })} />
      <FormError message={errors.form} />
    </form>
  );
}
