import { AppError } from '../src/lib/errors.js';

// How unit tests catch a refusal: the AppError itself, so they can assert its code and field.
// Anything else thrown is a real failure and propagates; nothing thrown fails the test.

/** The AppError `promise` rejects with. */
export async function appErrorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

/** The AppError `run` throws. */
export function appErrorThrownBy(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

/** The first page of a list, as a route passes it to a service. */
export const FIRST_PAGE = { direction: 'after', id: undefined, limit: 20 } as const;
