import type { ReactNode } from 'react';
import type { TemplateStatus } from '../../api/types.ts';

/** Published or draft, and whether the draft holds edits not published yet (sending still uses the published version). */
export function TemplateStatusBadges({ status, unpublished }: { status: TemplateStatus; unpublished: boolean | undefined }): ReactNode {
  return (
    <span className="template-status">
      {status === 'published' ? <span className="badge badge-green">Published</span> : <span className="badge badge-grey">Draft</span>}
      {/* The space keeps the two apart in the heading's accessible name. */}
      {unpublished ? <> <span className="badge badge-amber">Unpublished changes</span></> : null}
    </span>
  );
}
