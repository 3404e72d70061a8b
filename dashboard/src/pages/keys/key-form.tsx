import type { ReactNode } from 'react';
import type { DomainSummary } from '../../api/types.ts';
import { Badge } from '../../components/badge.tsx';
import { Field } from '../../components/field.tsx';
import { PERMISSIONS, SCOPE_GROUPS, type KeyFormValue } from './scopes.ts';

export type KeyFormErrors = Partial<Record<'name' | 'permission' | 'scopes' | 'domain_ids' | 'allowed_ips', string>>;

type KeyFormProps = {
  value: KeyFormValue;
  onChange: (value: KeyFormValue) => void;
  errors: KeyFormErrors;
  domains: DomainSummary[];
};

/** The fields of the create dialog and the edit panel. */
export function KeyForm({ value, onChange, errors, domains }: KeyFormProps): ReactNode {
  const toggle = (list: string[], item: string): string[] => (list.includes(item) ? list.filter((x) => x !== item) : [...list, item]);
  return (
    <div className="form-stack">
      <Field label="Name" error={errors.name}>
        {(props) => (
          <input
            {...props}
            data-autofocus
            maxLength={100}
            placeholder="Where the key is used, like billing-service"
            value={value.name}
            onChange={(e) => onChange({ ...value, name: e.target.value })}
          />
        )}
      </Field>

      <fieldset className="fieldset" aria-describedby={errors.permission ? 'permission-error' : undefined}>
        <legend>Permission</legend>
        <div className="choice-cards">
          {PERMISSIONS.map((p) => (
            <label key={p.value} className="choice-card">
              <input
                type="radio"
                name="permission"
                value={p.value}
                checked={value.permission === p.value}
                onChange={() => onChange({ ...value, permission: p.value })}
              />
              <span>
                <strong>{p.label}</strong>
                <span className="muted">{p.description}</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>

      {value.permission === 'custom' ? (
        <fieldset className="fieldset" aria-invalid={errors.scopes ? true : undefined}>
          <legend>Scopes</legend>
          <div className="scope-grid">
            {SCOPE_GROUPS.map((group) => (
              <div key={group.label} className="scope-group">
                <span className="scope-group-label">{group.label}</span>
                {group.scopes.map((scope) => (
                  <label key={scope} className="checkbox">
                    <input type="checkbox" checked={value.scopes.includes(scope)} onChange={() => onChange({ ...value, scopes: toggle(value.scopes, scope) })} />
                    <code>{scope}</code>
                  </label>
                ))}
              </div>
            ))}
          </div>
          {errors.scopes ? <p className="field-error" role="alert">{errors.scopes}</p> : null}
        </fieldset>
      ) : null}

      {value.permission !== 'full_access' ? (
        <fieldset className="fieldset">
          <legend>Sending domains</legend>
          <p className="field-hint">None ticked: any verified domain of the organization.</p>
          {domains.length === 0 ? (
            <p className="muted">
              No domains yet. <a href="#/domains">Add one</a> to limit this key to it.
            </p>
          ) : (
            <div className="domain-list">
              {domains.map((d) => (
                <label key={d.id} className="checkbox">
                  <input type="checkbox" checked={value.domainIds.includes(d.id)} onChange={() => onChange({ ...value, domainIds: toggle(value.domainIds, d.id) })} />
                  <span>{d.name}</span>
                  <Badge value={d.status} />
                </label>
              ))}
            </div>
          )}
          {errors.domain_ids ? <p className="field-error" role="alert">{errors.domain_ids}</p> : null}
        </fieldset>
      ) : null}

      <Field
        label="Allowed IPs"
        hint="Comma-separated addresses or CIDR ranges, like 10.0.0.0/8, 2001:db8::/32. Empty: any address."
        error={errors.allowed_ips}
      >
        {(props) => (
          <input
            {...props}
            spellCheck={false}
            autoComplete="off"
            placeholder="Any address"
            value={value.allowedIps}
            onChange={(e) => onChange({ ...value, allowedIps: e.target.value })}
          />
        )}
      </Field>
    </div>
  );
}
