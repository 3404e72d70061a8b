import { describe, expect, it } from 'vitest';
import { RenderedJson, serializeJson } from './rendered-json.js';

describe('rendered JSON', () => {
  it('sends a rendered body as it was rendered, whatever becomes of the object it came from', () => {
    const body = { object: 'whoami', api_key: { scopes: ['emails:send'], last_used_at: null as string | null } };
    const rendered = new RenderedJson(body);
    body.api_key.scopes.push('domains:read');
    body.api_key.last_used_at = '2026-11-29T20:00:00.000Z';
    expect(serializeJson(rendered)).toBe('{"object":"whoami","api_key":{"scopes":["emails:send"],"last_used_at":null}}');
  });

  it('serializes any other body every time, as JSON.stringify does', () => {
    const body = { n: 1, at: new Date(0), list: [null, 'x'], json: 'not rendered' };
    expect(serializeJson(body)).toBe(JSON.stringify(body));
    body.n = 2;
    expect(serializeJson(body)).toBe('{"n":2,"at":"1970-01-01T00:00:00.000Z","list":[null,"x"],"json":"not rendered"}');
    expect(serializeJson('text')).toBe('"text"');
    expect(serializeJson(null)).toBe('null');
  });
});
