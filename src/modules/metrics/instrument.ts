import type { Authenticator } from '../api-keys/authenticate.js';
import type { Recorder } from '../delivery/record.js';
import type { ErrorCode } from '../../lib/errors.js';
import type { Metrics, VerificationOutcome } from './metrics.js';

// Counting wrappers: the authenticator and the delivery recorder stay unaware of metrics, and
// every edge that uses them (HTTP, SMTP; the worker, "deliver now") is counted the same way.

const OUTCOME_OF: Partial<Record<ErrorCode, VerificationOutcome>> = {
  missing_api_key: 'missing',
  invalid_api_key: 'invalid',
  ip_not_allowed: 'ip_not_allowed',
  insufficient_scope: 'insufficient_scope',
  rate_limit_exceeded: 'rate_limited',
  too_many_auth_failures: 'throttled',
};

/** The authenticator, counting each verification's outcome in `postgate_key_verifications_total`. */
export function countVerifications(authenticator: Authenticator, metrics: Pick<Metrics, 'keyVerifications'>): Authenticator {
  return {
    ...authenticator,
    async authenticate(request) {
      const outcome = await authenticator.authenticate(request);
      // A denial no outcome names (none today) is counted under its catalogue code: still a closed set.
      metrics.keyVerifications.inc({ outcome: outcome.ok ? 'ok' : (OUTCOME_OF[outcome.code] ?? outcome.code) });
      return outcome;
    },
  };
}

/** The delivery recorder, counting each recorded attempt's outcome in `postgate_email_deliveries_total`. */
export function countDeliveries(recorder: Recorder, metrics: Pick<Metrics, 'deliveries'>): Recorder {
  return {
    ...recorder,
    async record(email, outcome) {
      const recorded = await recorder.record(email, outcome);
      metrics.deliveries.inc({ outcome: recorded ? outcome.kind : 'lost_claim' });
      return recorded;
    },
  };
}
