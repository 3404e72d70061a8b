import { describe, expect, it } from 'vitest';
import { appErrorThrownBy } from '../../../test/app-errors.js';
import { checkTemplate, checkVariables, escapeHtml, MAX_CONTENT_BYTES, renderTemplate, type TemplateContent, type TemplateVariable } from './render.js';


const v = (key: string, type: 'string' | 'number' = 'string', fallbackValue: string | number | null = null): TemplateVariable => ({ key, type, fallbackValue });
const content = (over: Partial<TemplateContent>): TemplateContent => ({ subject: null, html: '<p>hi</p>', text: null, variables: [], ...over });

describe('renderTemplate', () => {
  it('escapes values in html and leaves them as given in subject and text', () => {
    const t = content({ subject: 'Hi {{{NAME}}}', html: '<p title="{{{NAME}}}">{{{NAME}}}</p>', text: 'Hi {{{NAME}}}', variables: [v('NAME')] });
    const out = renderTemplate(t, { NAME: `<script>alert("x")</script> & 'y'` });
    expect(out.html).toBe('<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</p>');
    expect(out.text).toBe(`Hi <script>alert("x")</script> & 'y'`);
    expect(out.subject).toBe(`Hi <script>alert("x")</script> & 'y'`);
  });

  it('does not read tags inside values: a value holding {{{OTHER}}} stays literal', () => {
    const t = content({ html: '{{{A}}}{{{B}}}', variables: [v('A'), v('B')] });
    expect(renderTemplate(t, { A: '{{{B}}}', B: 'b' }).html).toBe('{{{B}}}b');
  });

  it('uses the fallback_value of a variable not given, and of one given as null', () => {
    const t = content({ html: '{{{NAME}}} owes {{{PRICE}}}', variables: [v('NAME', 'string', 'friend'), v('PRICE', 'number', 25)] });
    expect(renderTemplate(t, {}).html).toBe('friend owes 25');
    expect(renderTemplate(t, { NAME: null, PRICE: 3.5 }).html).toBe('friend owes 3.5');
  });

  it('refuses a missing variable without fallback, naming it', () => {
    const t = content({ html: '{{{NAME}}} {{{CITY}}}', variables: [v('NAME', 'string', 'x'), v('CITY')] });
    const error = appErrorThrownBy(() => renderTemplate(t, { NAME: 'Ann' }));
    expect(error.code).toBe('validation_error');
    expect(error.field).toBe('variables.CITY');
    expect(error.message).toMatch(/variables\.CITY: is missing/);
    expect(appErrorThrownBy(() => renderTemplate(t, {}, { field: 'template.variables' })).field).toBe('template.variables.CITY');
  });

  it('refuses a value for a variable the template does not declare, naming it', () => {
    const t = content({ html: '{{{NAME}}}', variables: [v('NAME')] });
    expect(appErrorThrownBy(() => renderTemplate(t, { NAME: 'a', ROLE: 'admin' })).field).toBe('variables.ROLE');
  });

  it('takes numbers and plain decimal strings for number variables, nothing else', () => {
    const t = content({ html: '{{{PRICE}}}', variables: [v('PRICE', 'number')] });
    expect(renderTemplate(t, { PRICE: 10 }).html).toBe('10');
    expect(renderTemplate(t, { PRICE: '10.50' }).html).toBe('10.50');
    for (const bad of ['ten', '0x10', '1e3', ' 1', true, { a: 1 }, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(appErrorThrownBy(() => renderTemplate(t, { PRICE: bad })).field, String(bad)).toBe('variables.PRICE');
    }
  });

  it('takes strings and numbers for string variables, not objects or booleans', () => {
    const t = content({ html: '{{{NAME}}}', variables: [v('NAME')] });
    expect(renderTemplate(t, { NAME: 7 }).html).toBe('7');
    expect(appErrorThrownBy(() => renderTemplate(t, { NAME: ['a'] })).field).toBe('variables.NAME');
    expect(appErrorThrownBy(() => renderTemplate(t, { NAME: false })).field).toBe('variables.NAME');
  });

  it('refuses a line break in a value that goes into the subject (header injection)', () => {
    const t = content({ subject: 'Hi {{{NAME}}}', html: '{{{NAME}}}', variables: [v('NAME')] });
    const error = appErrorThrownBy(() => renderTemplate(t, { NAME: 'x\r\nBcc: victim@example.com' }));
    expect(error.field).toBe('variables.NAME');
    // The same value is fine where no header is made of it.
    expect(renderTemplate(content({ html: '{{{NAME}}}', variables: [v('NAME')] }), { NAME: 'a\nb' }).html).toBe('a\nb');
  });

  it('stops a rendering that would grow past the size limit, whatever the number of uses', () => {
    const t = content({ html: '{{{BIG}}}'.repeat(10_000), variables: [v('BIG')] });
    const started = Date.now();
    const error = appErrorThrownBy(() => renderTemplate(t, { BIG: 'x'.repeat(100_000) }));
    expect(error.field).toBe('html');
    expect(error.message).toContain(String(MAX_CONTENT_BYTES));
    expect(Date.now() - started).toBeLessThan(1_000);
    const subject = content({ subject: '{{{S}}}', variables: [v('S')] });
    expect(appErrorThrownBy(() => renderTemplate(subject, { S: 'y'.repeat(999) })).field).toBe('subject');
  });

  it('measures html in bytes: escaping counts', () => {
    const t = content({ html: '{{{A}}}', variables: [v('A')] });
    // 110,000 '<' escape to 440,000 bytes, under; 140,000 to 560,000, over.
    expect(renderTemplate(t, { A: '<'.repeat(110_000) }).html.length).toBe(440_000);
    expect(appErrorThrownBy(() => renderTemplate(t, { A: '<'.repeat(140_000) })).field).toBe('html');
  });
});

describe('checkTemplate', () => {
  it('names an undeclared variable, its field and its line and column', () => {
    const error = appErrorThrownBy(() => checkTemplate(content({ html: '<p>\n  Hi {{{NAME}}}, {{{CITY}}}</p>', variables: [v('NAME')] })));
    expect(error.field).toBe('html');
    expect(error.message).toBe('html: variable CITY at line 2, column 18 (offset 21) is not declared: add it to variables');
  });

  it('checks subject and text as well as html', () => {
    expect(appErrorThrownBy(() => checkTemplate(content({ subject: 'Re: {{{X}}}' }))).field).toBe('subject');
    expect(appErrorThrownBy(() => checkTemplate(content({ text: 'a {{{Y}}}' }))).message).toMatch(/^text: variable Y at line 1, column 3/);
  });

  it('refuses a tag left open, with its position', () => {
    const error = appErrorThrownBy(() => checkTemplate(content({ html: 'ok {{{NAME}}} and {{{NAME', variables: [v('NAME')] })));
    expect(error.message).toBe('html: "{{{" at line 1, column 19 (offset 18) is never closed with "}}}"');
  });

  it('refuses tags that name no valid key: spaces inside, expressions, inline fallbacks, four braces', () => {
    for (const html of ['{{{FIRST NAME}}}', '{{{a.b}}}', '{{{A|x}}}', '{{{1A}}}', '{{{}}}', '{{{{A}}}}', `{{{${'A'.repeat(51)}}}}`, '{{{constructor()}}}']) {
      const error = appErrorThrownBy(() => checkTemplate(content({ html, variables: [v('A')] })));
      expect(error.field, html).toBe('html');
      expect(error.message, html).toMatch(/is not a variable name/);
    }
  });

  it('accepts spaces around the key, and braces that are not tags', () => {
    const t = content({ html: '{{ not a tag }} {{{ A }}} }}} {A}', variables: [v('A')] });
    expect(() => checkTemplate(t)).not.toThrow();
    expect(renderTemplate(t, { A: 'x' }).html).toBe('{{ not a tag }} x }}} {A}');
  });

  it('says a reserved key is reserved when the content uses one', () => {
    expect(appErrorThrownBy(() => checkTemplate(content({ html: '{{{UNSUBSCRIBE_URL}}}' }))).message).toMatch(/UNSUBSCRIBE_URL at line 1, column 1 \(offset 0\) is a reserved/);
  });

  it('refuses a subject with a line break', () => {
    expect(appErrorThrownBy(() => checkTemplate(content({ subject: 'a\r\nBcc: x@example.com' }))).field).toBe('subject');
  });
});

describe('checkVariables', () => {
  it('refuses reserved keys, in any case', () => {
    for (const key of ['FIRST_NAME', 'LAST_NAME', 'EMAIL', 'email', 'UNSUBSCRIBE_URL', 'RESEND_UNSUBSCRIBE_URL', 'contact', 'this', 'THIS']) {
      const error = appErrorThrownBy(() => checkVariables([v('OK'), v(key)]));
      expect(error.field, key).toBe('variables[1].key');
      expect(error.message, key).toMatch(/reserved/);
    }
  });

  it('refuses invalid and duplicate keys, more than 50, and fallbacks of the wrong type', () => {
    expect(appErrorThrownBy(() => checkVariables([v('9LIVES')])).field).toBe('variables[0].key');
    expect(appErrorThrownBy(() => checkVariables([v('A'), v('A')])).message).toBe('variables[1].key: A is declared twice');
    expect(appErrorThrownBy(() => checkVariables(Array.from({ length: 51 }, (_, i) => v(`K${i}`)))).field).toBe('variables');
    expect(() => checkVariables(Array.from({ length: 50 }, (_, i) => v(`K${i}`)))).not.toThrow();
    expect(appErrorThrownBy(() => checkVariables([v('N', 'number', 'many')])).field).toBe('variables[0].fallback_value');
    expect(appErrorThrownBy(() => checkVariables([v('S', 'string', 3)])).field).toBe('variables[0].fallback_value');
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters that matter in text and quoted attributes', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
    expect(escapeHtml('plain é')).toBe('plain é');
  });
});
