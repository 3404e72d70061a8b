// The final table: absolute figures, the baseline measured in the same run, ratios, and each
// budget marked met or missed. Budgets are benchmarks to report against, never pass/fail.

export type Verdict = 'met' | 'missed' | '';

export type Row = {
  stage: string;
  metric: string;
  value: string;
  baseline?: string;
  ratio?: string;
  budget?: string;
  verdict?: Verdict;
};

export class Report {
  readonly rows: Row[] = [];
  readonly skipped: { stage: string; reason: string }[] = [];
  readonly notes: string[] = [];

  add(row: Row): void {
    this.rows.push(row);
  }

  skip(stage: string, why: string): void {
    const reason = why.replace(/^skipped: /, '');
    this.skipped.push({ stage, reason });
    this.rows.push({ stage, metric: 'skipped', value: reason });
    progress(stage, `skipped: ${reason}`);
  }

  note(line: string): void {
    this.notes.push(line);
  }

  /** A Markdown table: readable in a terminal and pasted as is into RESULTS.md. */
  markdown(): string {
    const header = ['stage', 'metric', 'value', 'baseline (same run)', 'ratio', 'budget', ''];
    const lines = [
      `| ${header.join(' | ')} |`,
      `|${header.map(() => '---').join('|')}|`,
      ...this.rows.map(
        (r) => `| ${[r.stage, r.metric, r.value, r.baseline ?? '', r.ratio ?? '', r.budget ?? '', r.verdict ?? ''].join(' | ')} |`,
      ),
    ];
    return lines.join('\n');
  }
}

export function progress(stage: string, line: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${stage.padEnd(12)} ${line}\n`);
}

export function verdict(ok: boolean): Verdict {
  return ok ? 'met' : 'missed';
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ratio(a: number, b: number, digits = 2): string {
  return b > 0 ? `${fmt(a / b, digits)}x` : 'n/a';
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}
