import { useState, type ReactNode } from 'react';
import { frameDocument, type Rendered } from './message.ts';

type View = 'html' | 'text' | 'source';

/**
 * The message: its headers, then the HTML (sandboxed), the text or the MIME source. `emailId`
 * names the email a captured message downloads from (a template's preview has none).
 */
export function MessageView({ message, emailId }: { message: Rendered; emailId?: string }): ReactNode {
  const views: { view: View; label: string }[] = [
    ...(message.html !== undefined ? [{ view: 'html' as const, label: 'HTML' }] : []),
    ...(message.text !== undefined ? [{ view: 'text' as const, label: 'Text' }] : []),
    ...(message.raw !== undefined ? [{ view: 'source' as const, label: 'Source' }] : []),
  ];
  const [view, setView] = useState<View | undefined>(views[0]?.view);

  return (
    <div className="message">
      <dl className="message-headers">
        {message.headers.map((h) => (
          <div key={h.label} className="message-header">
            <dt>{h.label}</dt>
            <dd>{h.value === '' && h.label === 'Subject' ? <span className="muted">(no subject)</span> : h.value}</dd>
          </div>
        ))}
      </dl>
      {message.attachments.length > 0 ? (
        <p className="muted message-attachments">
          Attachments: {message.attachments.map((a) => `${a.name} (${a.type})`).join(', ')}
        </p>
      ) : null}
      <div className="message-toolbar">
        {views.length > 1 ? (
          <div className="segmented" role="group" aria-label="Show the message as">
            {views.map((v) => (
              <button key={v.view} type="button" className="button button-small" aria-pressed={view === v.view} onClick={() => setView(v.view)}>
                {v.label}
              </button>
            ))}
          </div>
        ) : (
          <span />
        )}
        {message.source === 'captured' && emailId ? (
          <a className="button button-small" href={`/dashboard/api/emails/${encodeURIComponent(emailId)}/raw`} download={`${emailId}.eml`}>
            Download .eml
          </a>
        ) : null}
      </div>
      {view === 'html' && message.html !== undefined ? (
        <iframe
          className="message-frame"
          title="Message (HTML)"
          // Security: an empty sandbox: no scripts, no same-origin access, no forms, no popups.
          sandbox=""
          referrerPolicy="no-referrer"
          srcDoc={frameDocument(message.html)}
        />
      ) : null}
      {view === 'text' && message.text !== undefined ? (
        <pre className="message-text" tabIndex={0} aria-label="Message (text)">
          {message.text}
        </pre>
      ) : null}
      {view === 'source' && message.raw !== undefined ? (
        <>
          <pre className="message-text message-source" tabIndex={0} aria-label="Message source (MIME)">
            {message.raw}
          </pre>
          {message.rawTruncated ? <p className="muted">The source is cut here; download the .eml for all of it.</p> : null}
        </>
      ) : null}
      {view === undefined ? <p className="muted">This message has no body.</p> : null}
      {view === 'html' ? <p className="muted message-note">Scripts and remote images are not loaded in this preview.</p> : null}
    </div>
  );
}
