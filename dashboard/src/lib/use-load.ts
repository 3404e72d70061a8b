import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client.ts';

export type Load<T> = {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
  /** Replaces the data locally (after a write that returned the new object). */
  set: (data: T) => void;
};

/** Runs `load` on mount and on reload; answers that arrive after a newer load started are dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[] = []): Load<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const generation = useRef(0);
  const run = useCallback(load, deps);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    run().then(
      (data) => mine === generation.current && setState({ data, loading: false }),
      (error: unknown) =>
        mine === generation.current &&
        setState({ loading: false, error: error instanceof ApiError ? error : new ApiError(0, 'error', String(error)) }),
    );
  }, [run]);
  useEffect(reload, [reload]);
  return { data: state.data, error: state.error, loading: state.loading, reload, set: (data: T) => setState({ data, loading: false }) };
}
