import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newId } from '../../lib/ids.js';
import { decodeAttributeValue } from './attribute-value.js';
import { trackHtml, type TrackHtmlOptions } from './links.js';
import { verifyToken } from './tokens.js';

const sign = (data: string): string => createHmac('sha256', 'test-key').update(data).digest('base64url');
const emailId = newId('email');
const publicUrl = 'https://mail.example.com';
const both: TrackHtmlOptions = { emailId, openTracking: true, clickTracking: true, publicUrl, sign };
const clicksOnly: TrackHtmlOptions = { ...both, openTracking: false };

/** The original URLs behind every tracked link of the document, in order. */
function trackedUrls(html: string): string[] {
  return [...html.matchAll(/https:\/\/mail\.example\.com\/t\/c\/([A-Za-z0-9_.-]+)/g)].map((m) => {
    const token = verifyToken('click', m[1]!, sign);
    if (token?.kind !== 'click') throw new Error(`bad token in ${m[0]}`);
    expect(token.emailId).toBe(emailId);
    return token.url;
  });
}

describe('trackHtml', () => {
  it('rewrites http and https links and leaves mailto, tel, fragments, relative and other schemes alone', () => {
    const html =
      '<p><a href="https://example.com/a?x=1&amp;y=2">one</a> <A HREF=\'http://example.org/b\'>two</A> <a class=c href=https://example.net/c>three</a>' +
      '<a href="mailto:a@example.com">m</a><a href="tel:+123">t</a><a href="#top">f</a><a href="/relative">r</a><a href="javascript:alert(1)">j</a>' +
      '<a href="ftp://example.com/f">ftp</a><a name="x">no href</a></p>';
    const out = trackHtml(html, clicksOnly);
    expect(trackedUrls(out)).toEqual(['https://example.com/a?x=1&y=2', 'http://example.org/b', 'https://example.net/c']);
    for (const kept of ['mailto:a@example.com', 'tel:+123', '"#top"', '"/relative"', 'javascript:alert(1)', 'ftp://example.com/f', '<a name="x">']) {
      expect(out).toContain(kept);
    }
    // Only the href values changed: the rest of each tag, and the text, is as written.
    expect(out).toContain('<a class=c href="https://mail.example.com/t/c/');
    expect(out).toContain('>three</a>');
    expect(out).not.toContain('<img');
  });

  it('leaves links in comments, scripts, styles and textareas alone, and finds them after', () => {
    const html =
      '<!-- <a href="https://example.com/commented">x</a> --><style>a[href="https://example.com/style"]{}</style>' +
      '<script>var s = "<a href=\\"https://example.com/script\\">";</script><textarea><a href="https://example.com/text"></textarea>' +
      '<!--[if mso]><a href="https://example.com/mso">x</a><![endif]--><a href="https://example.com/real">real</a>';
    const out = trackHtml(html, clicksOnly);
    expect(trackedUrls(out)).toEqual(['https://example.com/real']);
    for (const kept of ['commented', 'style', 'script', 'text', 'mso']) expect(out).toContain(`https://example.com/${kept}`);
  });

  it('leaves links over 2,048 characters, already tracked links and unsure references untouched', () => {
    const long = `https://example.com/${'a'.repeat(2_100)}`;
    const html = `<a href="${long}">long</a><a href="https://mail.example.com/t/c/abc.def">tracked</a><a href="https://example.com/?a=1&copy;">copy</a>`;
    expect(trackHtml(html, clicksOnly)).toBe(html);
  });

  it('adds the open pixel before </body>, or at the end without one', () => {
    const withBody = trackHtml('<html><body><p>Hi</p></body></html>', { ...both, clickTracking: false });
    expect(withBody).toMatch(/^<html><body><p>Hi<\/p><img src="https:\/\/mail\.example\.com\/t\/o\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+" width="1" height="1" alt="" [^>]*\/><\/body><\/html>$/);
    const token = /\/t\/o\/([^"]+)"/.exec(withBody)![1]!;
    expect(verifyToken('open', token, sign)).toEqual({ kind: 'open', emailId });
    expect(verifyToken('click', token, sign)).toBeUndefined();
    const bare = trackHtml('<p>Hi</p>', both);
    expect(bare.startsWith('<p>Hi</p><img src="https://mail.example.com/t/o/')).toBe(true);
  });

  it('changes nothing with both settings off, and survives unterminated markup', () => {
    const html = '<a href="https://example.com/x">x</a>';
    expect(trackHtml(html, { ...both, openTracking: false, clickTracking: false })).toBe(html);
    const broken = '<a href="https://example.com/ok">ok</a><a href="https://example.com/never-closed';
    const out = trackHtml(broken, clicksOnly);
    expect(trackedUrls(out)).toEqual(['https://example.com/ok']);
    expect(out.endsWith('<a href="https://example.com/never-closed')).toBe(true);
  });
});

describe('tracking tokens', () => {
  const token = (url: string): string => /\/t\/c\/([^"]+)"/.exec(trackHtml(`<a href="${url}">x</a>`, clicksOnly))![1]!;

  it('refuses a token with any one character changed', () => {
    const good = token('https://example.com/pay');
    expect(verifyToken('click', good, sign)).toMatchObject({ url: 'https://example.com/pay' });
    for (let i = 0; i < good.length; i++) {
      const c = good[i] === 'A' ? 'B' : 'A';
      const altered = good.slice(0, i) + c + good.slice(i + 1);
      expect(verifyToken('click', altered, sign), `position ${i}`).toBeUndefined();
    }
  });

  it('refuses a token whose URL was swapped, or signed with another key', () => {
    const good = token('https://example.com/pay');
    const [, signature] = good.split('.');
    const swapped = `${Buffer.from(`${emailId}\nhttps://evil.example/`).toString('base64url')}.${signature}`;
    expect(verifyToken('click', swapped, sign)).toBeUndefined();
    const otherKey = (data: string): string => createHmac('sha256', 'other-key').update(data).digest('base64url');
    expect(verifyToken('click', good, otherKey)).toBeUndefined();
    expect(verifyToken('click', '', sign)).toBeUndefined();
    expect(verifyToken('click', 'x'.repeat(20_000), sign)).toBeUndefined();
  });
});

describe('decodeAttributeValue', () => {
  it('decodes what a browser decodes in an attribute, and is unsure of the rest', () => {
    expect(decodeAttributeValue('?a=1&amp;b=2&#38;c=3&#x26;d=4')).toBe('?a=1&b=2&c=3&d=4');
    expect(decodeAttributeValue('?a=1&b=2&notify=1&copy=2&ampx')).toBe('?a=1&b=2&notify=1&copy=2&ampx');
    expect(decodeAttributeValue('?x=&amp/y')).toBe('?x=&/y');
    expect(decodeAttributeValue('&copy;')).toBeUndefined();
    expect(decodeAttributeValue('&copy/')).toBeUndefined();
    expect(decodeAttributeValue('&#0;')).toBeUndefined();
  });
});
