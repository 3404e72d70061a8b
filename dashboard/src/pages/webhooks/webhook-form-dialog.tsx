import { useState, type FormEvent, type ReactNode } from 'react';
import { Dialog } from '../../components/dialog.tsx';
import { Field } from '../../components/field.tsx';
import { FormError } from '../../components/states.tsx';
import { splitError } from '../../lib/form-errors.ts';
import { EventTypePicker } from './event-type-picker.tsx';

export type WebhookFormValue = { endpoint: string; events: string[] };

type Props = {
  name: string;
  title: string;
  submitLabel: string;
  busyLabel: string;
  initial: WebhookFormValue;
  onClose: () => void;
  /** Sends the form; the API's validation errors are shown under their fields. */
  onSubmit: (value: WebhookFormValue) => Promise<void>;
};

const FIELDS = ['endpoint', 'events'] as const;

/** The endpoint URL and its event types, shared by "Add webhook" and "Edit webhook". */
export function WebhookFormDialog({ name, title, submitLabel, busyLabel, initial, onClose, onSubmit }: Props): ReactNode {
  const [value, setValue] = useState(initial);
  const [errors, setErrors] = useState<Partial<Record<(typeof FIELDS)[number], string>>>({});
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const formId = `${name}-form`;

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (value.endpoint.trim() === '') {
      setErrors({ endpoint: 'Give the URL Postgate should POST events to.' });
      return;
    }
    if (value.events.length === 0) {
      setErrors({ events: 'Choose at least one event type.' });
      return;
    }
    setBusy(true);
    setFormError(undefined);
    try {
      await onSubmit({ endpoint: value.endpoint.trim(), events: value.events });
    } catch (error) {
      const split = splitError(error, FIELDS);
      setErrors(split.fields);
      setFormError(split.form);
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={title}
      name={name}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className="button button-primary" disabled={busy}>
            {busy ? busyLabel : submitLabel}
          </button>
        </>
      }
    >
      <form id={formId} className="form-stack" onSubmit={(e) => void submit(e)} noValidate>
        <Field label="Endpoint URL" hint="HTTPS, reachable from this server. Each event is POSTed as JSON, signed (Standard Webhooks)." error={errors.endpoint}>
          {(props) => (
            <input
              {...props}
              data-autofocus
              type="url"
              inputMode="url"
              spellCheck={false}
              autoComplete="off"
              placeholder="https://example.com/webhooks/postgate"
              value={value.endpoint}
              onChange={(e) => {
                setValue({ ...value, endpoint: e.target.value });
                setErrors({});
              }}
            />
          )}
        </Field>
        <EventTypePicker
          selected={value.events}
          error={errors.events}
          onChange={(events) => {
            setValue({ ...value, events });
            setErrors({});
          }}
        />
        <FormError message={formError} />
      </form>
    </Dialog>
  );
}
