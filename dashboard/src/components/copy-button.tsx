import { useEffect, useState, type ReactNode } from 'react';

/** Copies `text` to the clipboard and says so (to screen readers too) for two seconds. */
export function CopyButton({ text, label = 'Copy', autoFocus }: { text: string; label?: string; autoFocus?: boolean }): ReactNode {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return undefined;
    const timer = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(timer);
  }, [state]);

  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState(legacyCopy(text) ? 'copied' : 'failed');
    }
  };

  return (
    <button type="button" className="button button-small" onClick={() => void copy()} aria-label={label} data-autofocus={autoFocus || undefined}>
      <span aria-live="polite">{state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : 'Copy'}</span>
    </button>
  );
}

/** Without the async clipboard (older browsers, some embedded views). */
function legacyCopy(text: string): boolean {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
  }
}
