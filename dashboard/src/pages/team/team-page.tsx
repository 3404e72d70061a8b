import { useState, type ReactNode } from 'react';
import { api } from '../../api/client.ts';
import type { Invitation, List, Member, Role, Session } from '../../api/types.ts';
import { ConfirmDeleteDialog } from '../../components/confirm-delete-dialog.tsx';
import { FormError, ErrorState, Loading } from '../../components/states.tsx';
import { DataTable } from '../../components/data-table.tsx';
import { formatDate } from '../../lib/format.ts';
import { canManage, canManageMembers, grantableRoles, roleOf } from '../../lib/roles.ts';
import { useLoad } from '../../lib/use-load.ts';
import { useSubmit } from '../../lib/use-submit.ts';
import { InviteForm } from './invite-form.tsx';

type Open = { kind: 'remove'; member: Member } | { kind: 'revoke'; invitation: Invitation } | undefined;

/** Members and their roles, invitations. Actions the signed-in role cannot take are not shown. */
export function TeamPage({ session }: { session: Session }): ReactNode {
  const role = roleOf(session);
  const members = useLoad(() => api.get<List<Member>>('/members'));
  const invitations = useLoad(() => api.get<List<Invitation>>('/invitations'));
  const [open, setOpen] = useState<Open>();
  const roleChange = useSubmit();
  const close = (): void => setOpen(undefined);

  const changeRole = async (member: Member, next: Role): Promise<void> => {
    await roleChange.run(() => api.patch<Member>(`/members/${member.id}`, { role: next }));
    // Refused or not, the select shows the role the member has now.
    members.reload();
  };

  return (
    <section aria-labelledby="team-title">
      <div className="page-header">
        <div>
          <h1 id="team-title">Team</h1>
          <p className="muted">Owners and admins manage members; developers work with keys, domains and emails; viewers only read.</p>
        </div>
      </div>

      {canManageMembers(role) ? (
        <section aria-labelledby="invite-title">
          <h2 id="invite-title">Invite a member</h2>
          <InviteForm roles={grantableRoles(role)} onInvited={invitations.reload} />
        </section>
      ) : null}

      <section aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        <FormError message={roleChange.errors.form} />
        {members.loading && !members.data ? <Loading label="Loading members…" /> : null}
        {members.error ? <ErrorState error={members.error} onRetry={members.reload} /> : null}
        {members.data ? (
          <DataTable columns={['Email', 'Role', 'Two-factor', 'Joined']} actions labelledBy="members-title">
            {members.data.data.map((m) => {
              const manageable = canManage(role, m.role);
              return (
                <tr key={m.id} data-member-id={m.id}>
                  <td data-label="Email">
                    {m.email} {m.id === session.user?.id ? <span className="badge">You</span> : null}
                  </td>
                  <td data-label="Role">
                    {manageable ? (
                      <select aria-label={`Role of ${m.email}`} value={m.role} onChange={(e) => void changeRole(m, e.target.value as Role)}>
                        {grantableRoles(role).map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </select>
                    ) : (
                      m.role
                    )}
                  </td>
                  <td data-label="Two-factor">{m.two_factor_enabled ? 'On' : 'Off'}</td>
                  <td data-label="Joined" className="nowrap">
                    {formatDate(m.created_at)}
                  </td>
                  <td className="row-actions">
                    {manageable ? (
                      <button type="button" className="button button-small button-danger-quiet" onClick={() => setOpen({ kind: 'remove', member: m })} aria-label={`Remove ${m.email}`}>
                        {m.id === session.user?.id ? 'Leave' : 'Remove'}
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </DataTable>
        ) : null}
      </section>

      <section aria-labelledby="invitations-title">
        <h2 id="invitations-title">Pending invitations</h2>
        {invitations.error ? <ErrorState error={invitations.error} onRetry={invitations.reload} /> : null}
        {invitations.data && invitations.data.data.length === 0 ? <p className="muted">No pending invitations.</p> : null}
        {invitations.data && invitations.data.data.length > 0 ? (
          <DataTable columns={['Email', 'Role', 'Status', 'Expires']} actions labelledBy="invitations-title">
            {invitations.data.data.map((i) => (
              <tr key={i.id} data-invitation-id={i.id}>
                <td data-label="Email">{i.email}</td>
                <td data-label="Role">{i.role}</td>
                <td data-label="Status">{i.status === 'expired' ? <span className="badge">Expired</span> : 'Pending'}</td>
                <td data-label="Expires" className="nowrap">
                  {formatDate(i.expires_at)}
                </td>
                <td className="row-actions">
                  {canManage(role, i.role) ? (
                    <button type="button" className="button button-small button-danger-quiet" onClick={() => setOpen({ kind: 'revoke', invitation: i })} aria-label={`Revoke the invitation of ${i.email}`}>
                      Revoke
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </DataTable>
        ) : null}
      </section>

      {open?.kind === 'remove' ? (
        <ConfirmDeleteDialog
          name="remove-member"
          title={open.member.id === session.user?.id ? 'Leave the organization?' : `Remove ${open.member.email}?`}
          description={<>Their sessions end at once. The last owner cannot leave or be removed.</>}
          confirmLabel={open.member.id === session.user?.id ? 'Leave' : 'Remove member'}
          onClose={close}
          onConfirm={async () => {
            await api.delete(`/members/${open.member.id}`);
            close();
            members.reload();
          }}
        />
      ) : null}
      {open?.kind === 'revoke' ? (
        <ConfirmDeleteDialog
          name="revoke-invitation"
          title={`Revoke the invitation of ${open.invitation.email}?`}
          description={<>The link stops working at once.</>}
          confirmLabel="Revoke invitation"
          onClose={close}
          onConfirm={async () => {
            await api.delete(`/invitations/${open.invitation.id}`);
            close();
            invitations.reload();
          }}
        />
      ) : null}
    </section>
  );
}
