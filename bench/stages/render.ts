import { escapeHtml, renderTemplate, type RenderedTemplate, type TemplateContent } from '../../src/modules/templates/render.js';
import { fmt, percentile, progress, ratio, verdict, type Report } from '../lib/report.js';

// Stage 10: template rendering in process. A typical transactional template (a receipt: 2 KB of
// html with inline styles, 10 declared variables, one of them in the subject) rendered by
// renderTemplate, against a plain String.replaceAll of the same tags by the same values (the
// ceiling: no tokenizer, no escaping, no check of declared variables or of the output's size).
// Each call is timed with process.hrtime.bigint (the timer's own cost, tens of nanoseconds, is in
// both sides alike); the sides alternate, the best round of each kept, as stages 8 and 9 do. Runs
// in the bench's own process, unpinned, after the servers of the other stages have stopped. The
// budget is judged on CPU time per render: in one process on a shared machine, renders per second
// of wall time mostly measure how often the process was not scheduled (they moved by 2x between
// rounds of one run, 2.7x at most, while the CPU time per render moved by 13% at most).

const STAGE = '10 render';
const WARMUP = 20_000;
const CALLS = 200_000;
const ROUNDS = 3;
const RATIO_BUDGET = 0.2;
const P99_BUDGET_US = 50;

/** Values as an application sends them; `&` and `'` give the html escaping work to do. */
const VALUES: Readonly<Record<string, string>> = {
  CUSTOMER_NAME: "Ada O'Brien",
  COMPANY: 'Lovelace & Babbage Ltd',
  PLAN: 'Pro (annual)',
  AMOUNT: '1,250.00',
  CURRENCY: 'EUR',
  INVOICE_ID: 'INV-2026-004217',
  DUE_DATE: '31 December 2026',
  INVOICE_URL: 'https://app.example.com/invoices/INV-2026-004217?utm_source=email&utm_medium=receipt',
  SUPPORT_EMAIL: 'billing@example.com',
  YEAR: '2026',
};

const CELL = 'style="padding:8px 0;border-bottom:1px solid #eeeeee;font-size:14px;color:#333333"';

/** About 2 KB of html using each variable (the company, invoice id and support address twice), as a receipt would. */
const HTML = `<!doctype html><html><head><meta charset="utf-8"><title>Receipt {{{INVOICE_ID}}}</title></head>
<body style="margin:0;padding:0;background:#f6f6f6">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px;margin:0 auto;background:#ffffff">
<tr><td style="padding:32px 24px;font-family:Helvetica,Arial,sans-serif;font-size:22px;font-weight:bold;color:#111111">{{{COMPANY}}}</td></tr>
<tr><td style="padding:0 24px;font-family:Helvetica,Arial,sans-serif;font-size:15px;line-height:22px;color:#333333">
<p>Hello {{{CUSTOMER_NAME}}},</p>
<p>Thank you for your payment. This email is your receipt for the {{{PLAN}}} plan; keep it for your records. Your next invoice will be sent a week before it is due.</p>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0">
<tr><td ${CELL}>Invoice</td><td ${CELL} align="right">{{{INVOICE_ID}}}</td></tr>
<tr><td ${CELL}>Amount paid</td><td ${CELL} align="right">{{{AMOUNT}}} {{{CURRENCY}}}</td></tr>
<tr><td ${CELL}>Next payment due</td><td ${CELL} align="right">{{{DUE_DATE}}}</td></tr>
</table>
<p style="padding:24px 0"><a href="{{{INVOICE_URL}}}" style="background:#1a56db;color:#ffffff;padding:12px 20px;border-radius:4px;text-decoration:none;font-weight:bold">View your invoice</a></p>
<p>Questions about this payment? Write to <a href="mailto:{{{SUPPORT_EMAIL}}}">{{{SUPPORT_EMAIL}}}</a> and quote the invoice number.</p>
</td></tr>
<tr><td style="padding:24px;font-family:Helvetica,Arial,sans-serif;font-size:12px;color:#999999">&copy; {{{YEAR}}} {{{COMPANY}}}. You receive this email because you hold an account with us.</td></tr>
</table></body></html>`;

const CONTENT: TemplateContent = {
  subject: 'Your receipt {{{INVOICE_ID}}}',
  html: HTML,
  text: null,
  variables: Object.keys(VALUES).map((key) => ({ key, type: 'string' as const, fallbackValue: null })),
};

/** The ceiling: each tag replaced by its value, raw, in subject and html. */
function replaceAllRender(pairs: readonly (readonly [string, string])[]): RenderedTemplate {
  let subject = CONTENT.subject!;
  let html = CONTENT.html;
  for (const [tag, value] of pairs) {
    subject = subject.replaceAll(tag, value);
    html = html.replaceAll(tag, value);
  }
  return { subject, html, text: null };
}

type Timing = { perSecond: number; cpuUs: number; p50Us: number; p99Us: number };

/**
 * WARMUP untimed calls, then CALLS timed one by one; the output lengths are summed so no call can
 * be skipped. CPU time per render beside the rate: on a shared machine the rate moves with the
 * other load (time the process is not scheduled), the CPU time far less.
 */
function time(render: () => RenderedTemplate): Timing & { sink: number } {
  let sink = 0;
  for (let i = 0; i < WARMUP; i++) sink += render().html.length;
  const samples = new Float64Array(CALLS);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) {
    const t0 = process.hrtime.bigint();
    sink += render().html.length;
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  samples.sort();
  return { perSecond: CALLS / seconds, cpuUs: (used.user + used.system) / CALLS, p50Us: percentile(samples, 50), p99Us: percentile(samples, 99), sink };
}

/** The round that spent the least CPU per render. */
function best(rounds: readonly Timing[]): Timing {
  return rounds.reduce((a, b) => (b.cpuUs < a.cpuUs ? b : a));
}

export function renderStage(o: { report: Report }): void {
  const pairs = Object.entries(VALUES).map(([key, value]) => [`{{{${key}}}}`, value] as const);
  const ours = (): RenderedTemplate => renderTemplate(CONTENT, VALUES);
  const ceiling = (): RenderedTemplate => replaceAllRender(pairs);
  // Both sides must do the same substitutions: the ceiling with pre-escaped values equals ours.
  const escaped = replaceAllRender(pairs.map(([tag, value]) => [tag, escapeHtml(value)] as const)).html;
  if (ours().html !== escaped) throw new Error('renderTemplate and the replaceAll ceiling disagree on the rendered html');
  progress(STAGE, `${fmt(Buffer.byteLength(HTML))} bytes of html, ${pairs.length} variables; ${ROUNDS} alternating rounds of ${fmt(CALLS)} timed calls per side`);

  const oursRounds: Timing[] = [];
  const ceilingRounds: Timing[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [label, render, rounds] of [
      ['replaceAll', ceiling, ceilingRounds],
      ['renderTemplate', ours, oursRounds],
    ] as const) {
      const timing = time(render);
      if (timing.sink === 0) throw new Error(`${label} rendered nothing`);
      rounds.push(timing);
      progress(STAGE, `round ${round} ${label.padEnd(14)} ${line(timing)}`);
    }
  }
  const top = best(ceilingRounds);
  const mine = best(oursRounds);
  o.report.add({ stage: STAGE, metric: 'String.replaceAll of the 10 tags in subject and 2 KB html (ceiling)', value: line(top) });
  o.report.add({
    stage: STAGE,
    metric: 'renderTemplate, same template and values (html escaped, variables checked), best of 3',
    value: line(mine),
    baseline: `replaceAll ${fmt(top.cpuUs, 2)} µs CPU`,
    ratio: `by CPU ${ratio(top.cpuUs, mine.cpuUs)}; by rate ${ratio(mine.perSecond, top.perSecond)}`,
    budget: `>= ${RATIO_BUDGET}x replaceAll (by CPU)`,
    verdict: verdict(top.cpuUs >= RATIO_BUDGET * mine.cpuUs),
  });
  o.report.add({
    stage: STAGE,
    metric: 'renderTemplate, p99 per render',
    value: `${fmt(mine.p99Us, 2)} µs`,
    budget: `p99 <= ${P99_BUDGET_US} µs`,
    verdict: verdict(mine.p99Us <= P99_BUDGET_US),
  });
}

function line(t: Timing): string {
  return `${fmt(t.perSecond)} renders/s (${fmt(t.cpuUs, 2)} µs CPU/render), p50 ${fmt(t.p50Us, 2)} µs, p99 ${fmt(t.p99Us, 2)} µs`;
}
