/**
 * A reply body already rendered as JSON, for a body served many times unchanged: a key's
 * description on GET /whoami, rebuilt only when the key or its last use changes, would otherwise
 * be serialized again on every request. It holds the text (a string cannot change), so what is
 * sent cannot drift from what was rendered. `T` is the body it renders.
 */
export class RenderedJson<T> {
  readonly json: string;
  declare private readonly body: T;

  constructor(body: T) {
    this.json = JSON.stringify(body);
  }
}

/** The serializer of every JSON reply: a rendered body is sent as it was rendered. */
export function serializeJson(data: unknown): string {
  return data instanceof RenderedJson ? data.json : JSON.stringify(data);
}

/**
 * A rendered body where a route's reply of type `T` is expected: Fastify hands it to the
 * serializer (`serializeJson`), which sends its text.
 */
export function asReply<T>(rendered: RenderedJson<T>): T {
  return rendered as unknown as T;
}
