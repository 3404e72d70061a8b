import { describe, expect, it } from 'vitest';
import {
  PERMISSIONS,
  SCOPES,
  SENDING_SCOPES,
  hasScope,
  isScope,
  scopesBeyond,
  scopesFor,
  type HeldScope,
  type Scope,
} from './scopes.js';

// CONTRACT.md section 4, word for word.
const CONTRACT_CATALOGUE = `emails:send emails:read templates:read
  templates:write domains:read domains:write webhooks:read webhooks:write audience:read
  audience:write projects:read organization:read analytics:read api_keys:read api_keys:write
  sms:send whatsapp:send inbound:read inbound:write providers:read providers:write senders:read
  senders:write audit:read`.split(/\s+/);

const held = (...scopes: HeldScope[]): ReadonlySet<string> => new Set(scopes);

/** A small deterministic generator, so the property checks below are reproducible. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function sampleScopes(random: () => number, withStarChance: number): HeldScope[] {
  const picked: HeldScope[] = SCOPES.filter(() => random() < 0.3);
  if (random() < withStarChance) picked.push('*');
  return picked;
}

describe('catalogue', () => {
  it('is exactly the contract catalogue, without duplicates', () => {
    expect([...SCOPES].sort()).toEqual([...CONTRACT_CATALOGUE].sort());
    expect(new Set(SCOPES).size).toBe(SCOPES.length);
  });

  it('has the three permissions of the contract', () => {
    expect([...PERMISSIONS].sort()).toEqual(['custom', 'full_access', 'sending_access']);
  });

  it('recognises catalogue scopes only', () => {
    for (const scope of SCOPES) expect(isScope(scope)).toBe(true);
    for (const value of ['*', '', 'emails:*', 'emails', 'EMAILS:SEND', ' emails:send', 'emails:send ', 'api_keys:admin', 'toString', '__proto__', 'constructor']) {
      expect(isScope(value), JSON.stringify(value)).toBe(false);
    }
  });
});

describe('scopesFor', () => {
  it('gives full access the wildcard, whatever custom list comes along', () => {
    expect(scopesFor('full_access')).toEqual(['*']);
    expect(scopesFor('full_access', ['emails:read'])).toEqual(['*']);
  });

  it('gives sending access exactly the three send scopes', () => {
    expect([...scopesFor('sending_access')].sort()).toEqual(['emails:send', 'sms:send', 'whatsapp:send']);
    expect([...SENDING_SCOPES].sort()).toEqual(['emails:send', 'sms:send', 'whatsapp:send']);
  });

  it('ignores a custom list for sending access', () => {
    expect([...scopesFor('sending_access', ['api_keys:write', 'emails:read'])].sort()).toEqual([
      'emails:send',
      'sms:send',
      'whatsapp:send',
    ]);
  });

  it('returns a fresh array, so a caller cannot change the preset', () => {
    const first = scopesFor('sending_access');
    first.push('api_keys:write');
    expect(scopesFor('sending_access')).not.toContain('api_keys:write');
    expect(SENDING_SCOPES).not.toContain('api_keys:write');
  });

  it('gives a custom key its own scopes, de-duplicated and sorted', () => {
    expect(scopesFor('custom', ['webhooks:read', 'emails:send', 'webhooks:read', 'domains:read'])).toEqual([
      'domains:read',
      'emails:send',
      'webhooks:read',
    ]);
    expect(scopesFor('custom', [])).toEqual([]);
    expect(scopesFor('custom')).toEqual([]);
  });

  it('never turns a custom list into the wildcard, even when it lists every scope', () => {
    const all = scopesFor('custom', [...SCOPES]);
    expect(all).not.toContain('*');
    expect(all).toHaveLength(SCOPES.length);
  });
});

describe('hasScope', () => {
  it('lets the wildcard stand for every scope', () => {
    for (const scope of SCOPES) expect(hasScope(held('*'), scope)).toBe(true);
  });

  it('gives sending access nothing beyond sending, not even reading emails', () => {
    const sending = new Set(scopesFor('sending_access'));
    for (const scope of SCOPES) {
      expect(hasScope(sending, scope), scope).toBe(SENDING_SCOPES.includes(scope));
    }
    expect(hasScope(sending, 'emails:read')).toBe(false);
    expect(hasScope(sending, 'api_keys:write')).toBe(false);
  });

  it('gives a custom key exactly its listed scopes', () => {
    const custom = new Set(scopesFor('custom', ['domains:read', 'api_keys:read']));
    for (const scope of SCOPES) {
      expect(hasScope(custom, scope), scope).toBe(scope === 'domains:read' || scope === 'api_keys:read');
    }
  });

  it('does not let a read scope imply write, nor the reverse', () => {
    expect(hasScope(held('domains:read'), 'domains:write')).toBe(false);
    expect(hasScope(held('domains:write'), 'domains:read')).toBe(false);
  });

  it('gives an empty key nothing', () => {
    for (const scope of SCOPES) expect(hasScope(held(), scope)).toBe(false);
  });
});

describe('scopesBeyond', () => {
  it('lets a full-access key grant anything, the wildcard included', () => {
    expect(scopesBeyond(held('*'), ['*'])).toEqual([]);
    expect(scopesBeyond(held('*'), [...SCOPES])).toEqual([]);
    expect(scopesBeyond(held('*'), scopesFor('full_access'))).toEqual([]);
  });

  it('never lets a key without the wildcard grant the wildcard, even holding every scope', () => {
    const everyScope = new Set<string>(SCOPES);
    expect(scopesBeyond(everyScope, ['*'])).toEqual(['*']);
    expect(scopesBeyond(everyScope, scopesFor('full_access'))).toEqual(['*']);
    expect(scopesBeyond(held('api_keys:write'), ['*', 'api_keys:write'])).toEqual(['*']);
  });

  it('lets a key grant what it holds', () => {
    const granter = held('api_keys:write', 'emails:send', 'sms:send', 'whatsapp:send');
    expect(scopesBeyond(granter, scopesFor('sending_access'))).toEqual([]);
    expect(scopesBeyond(granter, ['api_keys:write'])).toEqual([]);
    expect(scopesBeyond(granter, [])).toEqual([]);
  });

  it('names every scope the key lacks', () => {
    const granter = held('api_keys:write', 'emails:send');
    expect(scopesBeyond(granter, ['emails:send', 'emails:read', 'sms:send'])).toEqual(['emails:read', 'sms:send']);
    expect(scopesBeyond(granter, scopesFor('sending_access')).sort()).toEqual(['sms:send', 'whatsapp:send']);
  });

  it('refuses everything to a key that holds nothing', () => {
    expect(scopesBeyond(held(), ['emails:send'])).toEqual(['emails:send']);
    expect(scopesBeyond(held(), ['*'])).toEqual(['*']);
  });

  it('never approves a scope the granter lacks (property over many keys)', () => {
    const random = lcg(0x5eed);
    for (let round = 0; round < 2_000; round++) {
      const granterScopes = sampleScopes(random, 0.1);
      const granter = new Set<string>(granterScopes);
      const requested = sampleScopes(random, 0.3);
      const beyond = new Set(scopesBeyond(granter, requested));
      for (const scope of requested) {
        const granterCovers = granter.has('*') || (scope !== '*' && hasScope(granter, scope as Scope));
        expect(beyond.has(scope), `${[...granter]} granting ${scope}`).toBe(!granterCovers);
      }
      for (const scope of beyond) expect(requested).toContain(scope);
    }
  });
});
