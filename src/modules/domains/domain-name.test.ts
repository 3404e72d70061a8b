import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.js';
import { normaliseDomainName } from './domain-name.js';

function refusal(input: string): AppError {
  try {
    normaliseDomainName(input);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(input)} was accepted`);
}

describe('domain name validation', () => {
  it('lowercases, trims and drops one trailing dot', () => {
    expect(normaliseDomainName('Example.COM')).toBe('example.com');
    expect(normaliseDomainName('  mail.example.co.uk  ')).toBe('mail.example.co.uk');
    expect(normaliseDomainName('example.com.')).toBe('example.com');
  });

  it('accepts hyphens inside labels, digits, punycode and the longest legal names', () => {
    expect(normaliseDomainName('my-shop2.example.com')).toBe('my-shop2.example.com');
    expect(normaliseDomainName('xn--bcher-kva.example')).toBe('xn--bcher-kva.example');
    expect(normaliseDomainName('123.example.com')).toBe('123.example.com');
    const label63 = 'a'.repeat(63);
    expect(normaliseDomainName(`${label63}.com`)).toBe(`${label63}.com`);
    // 4 labels of 63 + 3 dots = 255 is too long; trim to exactly 253.
    const name253 = [label63, label63, label63, 'a'.repeat(61)].join('.');
    expect(name253).toHaveLength(253);
    expect(normaliseDomainName(name253)).toBe(name253);
  });

  it.each([
    ['', 'required'],
    ['   ', 'required'],
    ['localhost', 'two labels'],
    ['example', 'two labels'],
    ['192.168.0.1', 'IP address'],
    ['10.0.0.1.', 'IP address'],
    ['::1', 'IP address'],
    ['2001:db8::1', 'IP address'],
    ['[::1]', 'IP address'],
    ['1.2.3', 'top-level domain'],
    ['010.0.0.1', 'top-level domain'],
    ['_dmarc.example.com', 'underscores'],
    ['ex_ample.com', 'underscores'],
    [`${'a'.repeat(64)}.com`, '63'],
    [[...Array(4)].map(() => 'a'.repeat(63)).join('.'), '253'],
    ['example..com', 'empty label'],
    ['.example.com', 'empty label'],
    ['example.com..', 'empty label'],
    ['-example.com', 'inner hyphens'],
    ['example-.com', 'inner hyphens'],
    ['exa mple.com', 'inner hyphens'],
    ['bücher.example', 'punycode'],
    ['example.com\r\nX-Evil: 1', 'inner hyphens'],
    ['user@example.com', 'inner hyphens'],
    ['example.com/path', 'inner hyphens'],
  ])('refuses %j (422 naming name)', (input, reason) => {
    const error = refusal(input);
    expect(error.code).toBe('validation_error');
    expect(error.details).toEqual({ field: 'name' });
    expect(error.message.startsWith('name: ')).toBe(true);
    expect(error.message).toContain(reason);
  });
});
