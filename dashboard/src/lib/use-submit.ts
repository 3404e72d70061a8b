import { useState, type Dispatch, type SetStateAction } from 'react';
import { splitError, type SplitErrors } from './form-errors.ts';

export type Submit<F extends string> = {
  busy: boolean;
  /** The last failure, under the field it names or for the whole form. */
  errors: SplitErrors<F>;
  /** Runs one write: busy while it runs, the old errors gone, the API's error shown if it fails. */
  run: (action: () => Promise<unknown>) => Promise<void>;
  /** For errors found before asking the server (an empty required field). */
  setErrors: Dispatch<SetStateAction<SplitErrors<F>>>;
  /** Replaces the errors under the fields (after an edit, or a check before sending); a form-level error stays. */
  setFieldErrors: (fields: SplitErrors<F>['fields']) => void;
};

type Options<F extends string> = {
  /** API field names that stand for a form field (`domain_id` is shown under `domain_ids`). */
  aliases?: Record<string, F>;
  /**
   * The form leaves the screen when the write succeeds (a dialog that closes, a page that
   * navigates away): it stays disabled until it is gone, so a second click cannot send it again.
   */
  closesOnSuccess?: boolean;
};

export const NO_ERRORS: SplitErrors<never> = { fields: {}, form: undefined };

/** The busy flag and error handling every dashboard form and action button shares. */
export function useSubmit<F extends string = never>(fields: readonly F[] = [], options: Options<F> = {}): Submit<F> {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<SplitErrors<F>>(NO_ERRORS);

  const run = async (action: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    setErrors(NO_ERRORS);
    try {
      await action();
      if (!options.closesOnSuccess) setBusy(false);
    } catch (e) {
      setErrors(splitError(e, fields, options.aliases));
      setBusy(false);
    }
  };

  const setFieldErrors = (byField: SplitErrors<F>['fields']): void => setErrors((shown) => ({ ...shown, fields: byField }));

  return { busy, errors, run, setErrors, setFieldErrors };
}
