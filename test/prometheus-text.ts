// A strict check of Prometheus's text exposition format (version 0.0.4), line by line, as
// promtool's linter would read it: every line is a HELP, a TYPE, a comment, blank, or a sample
// of the family its TYPE declared, in the grammar of
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details.
// Returns the problems found; none means the text is well formed.

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
// A label value escapes only backslash, double quote and newline.
const LABEL = `(${LABEL_NAME})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`;
// Go's ParseFloat, which Prometheus uses: decimals, exponents, Inf and NaN in any case.
const VALUE = '(?:[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]?[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL},)*(?:${LABEL})?)\\})? (${VALUE})(?: -?\\d+)?$`);
const LABELS = new RegExp(LABEL, 'g');
const HELP = new RegExp(`^# HELP (${NAME}) ((?:[^\\\\\\n]|\\\\[\\\\n])*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

export function expositionProblems(text: string): string[] {
  const problems: string[] = [];
  if (!text.endsWith('\n')) problems.push('the text does not end with a newline');
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const finished = new Set<string>();
  let current: string | undefined;
  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, i) => {
    const where = `line ${i + 1} ${JSON.stringify(line)}`;
    if (line === '') return;
    const help = HELP.exec(line);
    const type = TYPE.exec(line);
    if (help) {
      if (helped.has(help[1]!)) problems.push(`${where}: a second HELP for ${help[1]}`);
      helped.add(help[1]!);
      return;
    }
    if (type) {
      if (types.has(type[1]!)) problems.push(`${where}: a second TYPE for ${type[1]}`);
      types.set(type[1]!, type[2]!);
      if (current) finished.add(current);
      current = type[1];
      return;
    }
    if (line.startsWith('#')) {
      if (/^# (HELP|TYPE)\b/.test(line)) problems.push(`${where}: malformed HELP or TYPE`);
      return;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) return void problems.push(`${where}: not a sample`);
    const [, name, labelText = ''] = sample as unknown as [string, string, string | undefined];
    const family = [...types.keys()].find((f) => f === name || (SUFFIXES[types.get(f)!] ?? []).some((s) => `${f}${s}` === name));
    if (!family) return void problems.push(`${where}: no TYPE declared before this sample`);
    if (family !== current || finished.has(family)) problems.push(`${where}: sample outside its family's block`);
    if (!helped.has(family)) problems.push(`${where}: family ${family} has no HELP`);
    const names = [...labelText.matchAll(LABELS)].map((m) => m[1]!);
    if (new Set(names).size !== names.length) problems.push(`${where}: a label repeated`);
    if (name === `${family}_bucket` && !names.includes('le')) problems.push(`${where}: a histogram bucket without le`);
  });
  return problems;
}
