import { useState, type FormEvent, type ReactNode } from 'react';
import { Dialog } from '../../components/dialog.tsx';
import { DialogActions } from '../../components/dialog-actions.tsx';
import { Field } from '../../components/field.tsx';
import { FormError } from '../../components/states.tsx';
import { useSubmit } from '../../lib/use-submit.ts';
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
  const { busy, errors, run, setFieldErrors } = useSubmit(FIELDS, { closesOnSuccess: true });
  const formId = `${name}-form`;

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (value.endpoint.trim() === '') {
      setFieldErrors({ endpoint: 'Give the URL Postgate should POST events to.' });
      return;
    }
    if (value.events.length === 0) {
      setFieldErrors({ events: 'Choose at least one event type.' });
      return;
    }
    await run(() => onSubmit({ endpoint: value.endpoint.trim(), events: value.events }));
  };

  return (
    <Dialog
      title={title}
      name={name}
      onClose={onClose}
      footer={<DialogActions onCancel={onClose} label={submitLabel} busyLabel={busyLabel} busy={busy} form={formId} />}
    >
      <form id={formId} className="form-stack" onSubmit={(e) => void submit(e)} noValidate>
        <Field label="Endpoint URL" hint="HTTPS, reachable from this server. Each event is POSTed as JSON, signed (Standard Webhooks)." error={errors.fields.endpoint}>
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
                setFieldErrors({});
              }}
            />
          )}
        </Field>
        <EventTypePicker
          selected={value.events}
          error={errors.fields.events}
          onChange={(events) => {
            setValue({ ...value, events });
            setFieldErrors({});
          }}
        />
        <FormError message={errors.form} />
      </form>
    </Dialog>
  );
}
