import { describe, expect, it } from 'vitest';
import { EMAILS_PER_JOB, emailIdsOf, jobsFor } from './queue.js';

describe('delivery jobs', () => {
  it('names the emails due at one moment in one job, in the order given', () => {
    const later = new Date('2026-12-01T09:00:00Z');
    const jobs = jobsFor([{ emailId: 'em_a' }, { emailId: 'em_b', startAfter: later }, { emailId: 'em_c' }, { emailId: 'em_d', startAfter: new Date(later) }]);
    expect(jobs).toEqual([
      { startAfter: undefined, emailIds: ['em_a', 'em_c'] },
      { startAfter: later, emailIds: ['em_b', 'em_d'] },
    ]);
  });

  it(`names at most ${EMAILS_PER_JOB} emails in a job`, () => {
    const ids = Array.from({ length: 2 * EMAILS_PER_JOB + 1 }, (_, i) => `em_${i}`);
    const jobs = jobsFor(ids.map((emailId) => ({ emailId })));
    expect(jobs.map((j) => j.emailIds.length)).toEqual([EMAILS_PER_JOB, EMAILS_PER_JOB, 1]);
    expect(jobs.flatMap((j) => j.emailIds)).toEqual(ids);
  });

  it('reads the emails of a job written before jobs named several (one emailId)', () => {
    expect(emailIdsOf({ emailId: 'em_old' })).toEqual(['em_old']);
    expect(emailIdsOf({ emailIds: ['em_a', 'em_b'] })).toEqual(['em_a', 'em_b']);
  });
});
