import { api } from '../../api/client.ts';
import type { List, Template, TemplateSummary } from '../../api/types.ts';

/**
 * The project's templates (the 100 newest), each saying whether it has unpublished changes. Lists
 * do not carry that (as in Resend), so it is read from the template itself, only for those that
 * can have any: published, and changed since.
 */
export async function loadTemplates(): Promise<List<TemplateSummary>> {
  const list = await api.get<List<TemplateSummary>>('/templates?limit=100');
  const data = await Promise.all(
    list.data.map(async (t): Promise<TemplateSummary> => {
      // ISO-8601 times in UTC compare as strings.
      const candidate = t.has_unpublished_versions === undefined && t.published_at !== null && t.updated_at > t.published_at;
      if (!candidate) return t;
      const full = await api.get<Template>(`/templates/${encodeURIComponent(t.id)}`).catch(() => undefined);
      return { ...t, has_unpublished_versions: full?.has_unpublished_versions };
    }),
  );
  return { ...list, data };
}
