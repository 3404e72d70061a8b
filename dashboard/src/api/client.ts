// The one way the dashboard talks to the server: JSON to /dashboard/api, the session cookie sent
// by the browser, and the CSRF token in a header on every state change.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The JSON path of the field the error names (`allowed_ips[0]`), from the body's `field`. */
    readonly field?: string,
  ) {
    super(message);
  }

  /** The top-level field named (`allowed_ips[0]` -> `allowed_ips`): the form input to show it beside. */
  get topLevelField(): string | undefined {
    return this.field?.split(/[.[]/, 1)[0] || undefined;
  }
}

/** The server's error body: `{statusCode, name, message, field?}` (docs/errors.md). */
type ErrorBody = { name?: unknown; message?: unknown; field?: unknown };

function errorFrom(response: Response, body: ErrorBody | undefined): ApiError {
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  return new ApiError(response.status, text(body?.name) ?? 'error', text(body?.message) ?? `The server answered ${response.status}`, text(body?.field));
}

let csrfToken = '';
let onSignedOut: () => void = () => undefined;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when a signed-in route answers 401: the session expired or was ended elsewhere. */
export function setSignedOutHandler(handler: () => void): void {
  onSignedOut = handler;
}

const ANONYMOUS = new Set(['/session', '/login', '/setup', '/login/two-factor', '/invitations/accept']);

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(`/dashboard/api${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network_error', 'The server cannot be reached. Check your connection and try again.');
  }
  const data = (await response.json().catch(() => undefined)) as unknown;
  if (!response.ok) {
    if (response.status === 401 && !ANONYMOUS.has(path.split('?')[0]!)) onSignedOut();
    throw errorFrom(response, data as ErrorBody | undefined);
  }
  return data as T;
}

/** A GET whose answer is not JSON (a captured message): its bytes, or null when the server has none (404). */
async function getBytes(path: string): Promise<ArrayBuffer | null> {
  let response: Response;
  try {
    response = await fetch(`/dashboard/api${path}`, { credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network_error', 'The server cannot be reached. Check your connection and try again.');
  }
  if (response.status === 404) return null;
  if (!response.ok) {
    const data = (await response.json().catch(() => undefined)) as ErrorBody | undefined;
    if (response.status === 401) onSignedOut();
    throw errorFrom(response, data);
  }
  return response.arrayBuffer();
}

export const api = {
  bytes: getBytes,
  get: <T>(path: string): Promise<T> => request<T>('GET', path),
  post: <T>(path: string, body?: unknown): Promise<T> => request<T>('POST', path, body),
  patch: <T>(path: string, body: unknown): Promise<T> => request<T>('PATCH', path, body),
  delete: <T>(path: string): Promise<T> => request<T>('DELETE', path),
};
