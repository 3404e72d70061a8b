import type { ReactNode } from 'react';
import { EVENT_TYPE_GROUPS } from './event-types.ts';

type Props = {
  selected: readonly string[];
  onChange: (selected: string[]) => void;
  error?: string | undefined;
};

/** The event types as checkboxes, one group per prefix, each group with a select-all toggle. */
export function EventTypePicker({ selected, onChange, error }: Props): ReactNode {
  const chosen = new Set(selected);
  const toggle = (type: string): void => onChange(chosen.has(type) ? selected.filter((t) => t !== type) : [...selected, type]);
  const setGroup = (types: readonly string[], on: boolean): void => {
    const rest = selected.filter((t) => !types.includes(t));
    onChange(on ? [...rest, ...types] : rest);
  };
  return (
    <fieldset className="fieldset event-picker" aria-describedby={error ? 'event-picker-error' : undefined}>
      <legend>Events</legend>
      <div className="event-groups">
        {EVENT_TYPE_GROUPS.map((group) => {
          const all = group.types.every((t) => chosen.has(t));
          return (
            <fieldset key={group.label} className="event-group">
              <legend>{group.label}</legend>
              <button
                type="button"
                className="link-button"
                aria-label={`${all ? 'Clear' : 'Select'} all ${group.label.toLowerCase()} events`}
                onClick={() => setGroup(group.types, !all)}
              >
                {all ? 'Clear all' : 'Select all'}
              </button>
              {group.types.map((type) => (
                <label key={type} className="checkbox">
                  <input type="checkbox" checked={chosen.has(type)} onChange={() => toggle(type)} />
                  <code>{type}</code>
                </label>
              ))}
            </fieldset>
          );
        })}
      </div>
      {error ? (
        <p id="event-picker-error" className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
