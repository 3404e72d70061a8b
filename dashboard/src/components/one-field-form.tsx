import { useState, type InputHTMLAttributes, type ReactNode } from 'react';
import { useSubmit } from '../lib/use-submit.ts';
import { Field } from './field.tsx';
import { FormError } from './states.tsx';

type Props = {
  label: string;
  hint?: ReactNode;
  /** The API's name for the value: its validation error is shown under the input. */
  field: string;
  /** Everything about the input but its value and ids (type, placeholder, autocomplete...). */
  input: Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'value' | 'onChange'>;
  submitLabel: string;
  busyLabel: string;
  /** Sends the value as typed; the input empties when it succeeds. */
  onSubmit: (value: string) => Promise<void>;
};

/** An inline "create one thing" form: one input, its button, and the API's error. */
export function OneFieldForm({ label, hint, field, input, submitLabel, busyLabel, onSubmit }: Props): ReactNode {
  const [value, setValue] = useState('');
  const { busy, errors, run } = useSubmit([field]);

  const submit = (): Promise<void> =>
    run(async () => {
      await onSubmit(value);
      setValue('');
    });

  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      noValidate
    >
      <Field label={label} hint={hint} error={errors.fields[field]}>
        {(props) => <input {...props} {...input} value={value} onChange={(e) => setValue(e.target.value)} />}
      </Field>
      <button type="submit" className="button button-primary" disabled={busy || value.trim() === ''}>
        {busy ? busyLabel : submitLabel}
      </button>
      <FormError message={errors.form} />
    </form>
  );
}
