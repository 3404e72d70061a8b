import { useState } from 'react';
import { checkForm, NO_ERRORS, templateErrorsOf, type TemplateErrors, type TemplateFormValue } from './template-form-value.ts';

export type TemplateForm = {
  value: TemplateFormValue;
  errors: TemplateErrors;
  /** Which action is under way (`save`, `publish`, ...), for its button's label. */
  busy: string | undefined;
  /** An edit by the member: the errors shown go, as the fields they named may have changed. */
  change: (value: TemplateFormValue) => void;
  /** The stored draft again (after a save or publish read it back). */
  reset: (value: TemplateFormValue) => void;
  /** Runs one action at a time; `checked` actions refuse an incomplete form before asking the server. */
  run: (kind: string, action: () => Promise<void>, options?: { checked?: boolean }) => Promise<void>;
};

/** The editor's state, shared by "New template" and the editor of an existing one. */
export function useTemplateForm(initial: TemplateFormValue): TemplateForm {
  const [value, setValue] = useState(initial);
  const [errors, setErrors] = useState<TemplateErrors>(NO_ERRORS);
  const [busy, setBusy] = useState<string>();

  const run = async (kind: string, action: () => Promise<void>, options: { checked?: boolean } = {}): Promise<void> => {
    const found = options.checked ? checkForm(value) : undefined;
    if (found) {
      setErrors(found);
      return;
    }
    setBusy(kind);
    setErrors(NO_ERRORS);
    try {
      await action();
    } catch (error) {
      setErrors(templateErrorsOf(error));
    } finally {
      setBusy(undefined);
    }
  };

  return {
    value,
    errors,
    busy,
    change: (next) => {
      setValue(next);
      setErrors(NO_ERRORS);
    },
    reset: setValue,
    run,
  };
}
