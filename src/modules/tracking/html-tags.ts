// A small HTML tag scanner, enough to find `<a href>` values and the closing `</body>` in an
// email's HTML. No HTML tokenizer is installed (parse5, htmlparser2 and the like are absent), and
// one is not worth a dependency for this: what is needed is where each tag and attribute value
// starts and ends, read the way the HTML tokenizer reads them (WHATWG "tokenization": tag open,
// attribute name, the three kinds of attribute value). Comments, doctypes and the contents of
// raw-text elements (`<script>`, `<style>`, `<textarea>`, ...) are skipped, so a link written in
// them is never taken for one. Markup the scanner cannot finish (a tag open at the end) ends the
// scan: what follows is left exactly as it is.

export type Attribute = Readonly<{
  /** Lowercased, as the tokenizer does. */
  name: string;
  /** The value as written (quotes removed, character references not decoded); '' when there is none. */
  raw: string;
  /** Where the value starts and ends in the document, quotes included; both -1 when there is none. */
  start: number;
  end: number;
}>;

export type Tag = Readonly<{
  kind: 'start' | 'end';
  /** Lowercased. */
  name: string;
  /** Index of its `<`. */
  start: number;
  /** Index just after its `>`. */
  end: number;
  attributes: readonly Attribute[];
}>;

// Elements whose contents are text to the tokenizer, never tags. Regexes are built from this
// fixed list only, never from the document.
const RAW_TEXT = ['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript'] as const;
const RAW_TEXT_END: ReadonlyMap<string, RegExp> = new Map(RAW_TEXT.map((name) => [name, new RegExp(`</${name}[\\t\\n\\f\\r />]`, 'gi')]));

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\f' || c === '\r';
const isAlpha = (c: string | undefined): boolean => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));

/** Every start and end tag of the document, in order. */
export function* htmlTags(html: string): Generator<Tag> {
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt < 0) return;
    const next = html[lt + 1];
    if (html.startsWith('<!--', lt)) {
      const close = commentEnd(html, lt + 4);
      if (close < 0) return;
      i = close;
    } else if (next === '!' || next === '?' || (next === '/' && !isAlpha(html[lt + 2]))) {
      // Doctype, CDATA, processing instruction or `</ ...>`: a bogus comment up to the next `>`.
      const close = html.indexOf('>', lt + 2);
      if (close < 0) return;
      i = close + 1;
    } else if (isAlpha(next) || next === '/') {
      const tag = readTag(html, lt);
      if (!tag) return;
      yield tag;
      i = tag.kind === 'start' ? skipRawText(html, tag) : tag.end;
      if (i < 0) return;
    } else {
      i = lt + 1; // A `<` that opens nothing is text.
    }
  }
}

/** Index just after the comment that started before `from`; -1 when it never ends. */
function commentEnd(html: string, from: number): number {
  // `<!-->` and `<!--->` are complete (empty) comments; `--!>` closes one too.
  if (html[from] === '>') return from + 1;
  if (html.startsWith('->', from)) return from + 2;
  const dashes = html.indexOf('-->', from);
  const bang = html.indexOf('--!>', from);
  if (dashes < 0) return bang < 0 ? -1 : bang + 4;
  return bang >= 0 && bang < dashes ? bang + 4 : dashes + 3;
}

/** Where scanning resumes after a start tag: after its closing tag for a raw-text element. */
function skipRawText(html: string, tag: Tag): number {
  const end = RAW_TEXT_END.get(tag.name);
  if (!end) return tag.end;
  end.lastIndex = tag.end;
  const found = end.exec(html);
  return found ? found.index : -1;
}

/** The tag opening at `lt` (`<a ...>` or `</a ...>`), or undefined when it never closes. */
function readTag(html: string, lt: number): Tag | undefined {
  const kind = html[lt + 1] === '/' ? 'end' : 'start';
  let i = lt + (kind === 'end' ? 2 : 1);
  const nameStart = i;
  while (i < html.length && !isSpace(html[i]) && html[i] !== '/' && html[i] !== '>') i++;
  const name = html.slice(nameStart, i).toLowerCase();
  const attributes: Attribute[] = [];
  for (;;) {
    while (isSpace(html[i]) || html[i] === '/') i++;
    if (i >= html.length) return undefined;
    if (html[i] === '>') return { kind, name, start: lt, end: i + 1, attributes };
    const attribute = readAttribute(html, i);
    if (!attribute) return undefined;
    attributes.push(attribute.value);
    i = attribute.next;
  }
}

function readAttribute(html: string, at: number): { value: Attribute; next: number } | undefined {
  // The first character belongs to the name even when it is `=` (the tokenizer's rule).
  let i = at + 1;
  while (i < html.length && !isSpace(html[i]) && html[i] !== '/' && html[i] !== '>' && html[i] !== '=') i++;
  const name = html.slice(at, i).toLowerCase();
  let j = i;
  while (isSpace(html[j])) j++;
  if (html[j] !== '=') return { value: { name, raw: '', start: -1, end: -1 }, next: i };
  j++;
  while (isSpace(html[j])) j++;
  if (j >= html.length) return undefined;
  const quote = html[j];
  if (quote === '"' || quote === "'") {
    const close = html.indexOf(quote, j + 1);
    if (close < 0) return undefined;
    return { value: { name, raw: html.slice(j + 1, close), start: j, end: close + 1 }, next: close + 1 };
  }
  let k = j;
  while (k < html.length && !isSpace(html[k]) && html[k] !== '>') k++;
  return { value: { name, raw: html.slice(j, k), start: j, end: k }, next: k };
}
