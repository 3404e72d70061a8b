import type { ReactNode } from 'react';
import type { TemplateVariableType } from '../../api/types.ts';
import { Field } from '../../components/field.tsx';
import { newVariableRow, type TemplateErrors, type VariableRow } from './template-form-value.ts';

type Props = {
  rows: VariableRow[];
  /** Errors by row position, as the API names them (`variables[1].key`). */
  errors: TemplateErrors['rows'];
  /** An error about the list as a whole (too many variables). */
  error: string | undefined;
  readOnly: boolean;
  onChange: (rows: VariableRow[]) => void;
};

/** The declared variables: key, type and fallback value per row; rows added and removed. */
export function VariablesEditor({ rows, errors, error, readOnly, onChange }: Props): ReactNode {
  const update = (i: number, patch: Partial<VariableRow>): void => onChange(rows.map((row, j) => (j === i ? { ...row, ...patch } : row)));
  return (
    <fieldset className="fieldset template-variables">
      <legend>Variables</legend>
      <p className="field-hint">
        Every <code>{'{{{KEY}}}'}</code> used must be declared here. A variable without a fallback value must be given when sending.
      </p>
      {rows.length === 0 ? <p className="muted">No variables declared.</p> : null}
      {rows.map((row, i) => (
        <fieldset key={row.row} className="template-variable" data-variable-row={i}>
          <legend className="visually-hidden">Variable {i + 1}</legend>
          <Field label="Key" error={errors[i]?.key}>
            {(props) => (
              <input {...props} type="text" spellCheck={false} autoComplete="off" placeholder="NAME" readOnly={readOnly} value={row.key} onChange={(e) => update(i, { key: e.target.value })} />
            )}
          </Field>
          <Field label="Type" error={errors[i]?.type}>
            {(props) => (
              <select {...props} disabled={readOnly} value={row.type} onChange={(e) => update(i, { type: e.target.value as TemplateVariableType })}>
                <option value="string">string</option>
                <option value="number">number</option>
              </select>
            )}
          </Field>
          <Field label="Fallback value" error={errors[i]?.fallback_value}>
            {(props) => (
              <input
                {...props}
                type="text"
                inputMode={row.type === 'number' ? 'decimal' : undefined}
                autoComplete="off"
                placeholder="None"
                readOnly={readOnly}
                value={row.fallback}
                onChange={(e) => update(i, { fallback: e.target.value })}
              />
            )}
          </Field>
          {readOnly ? null : (
            <button type="button" className="button button-small button-danger-quiet" aria-label={`Remove variable ${row.key.trim() || i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
              Remove
            </button>
          )}
        </fieldset>
      ))}
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      {readOnly ? null : (
        <button type="button" className="button button-small" onClick={() => onChange([...rows, newVariableRow()])}>
          Add variable
        </button>
      )}
    </fieldset>
  );
}
