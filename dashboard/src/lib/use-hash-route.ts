import { useEffect, useState } from 'react';

// Hash routes (#/api-keys, #/domains/dom_...): the server serves one page at /, so no dashboard
// path can ever shadow an API route such as GET /domains.

export function currentRoute(): string {
  return window.location.hash.replace(/^#/, '') || '/api-keys';
}

export function useHashRoute(): string {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = (): void => setRoute(currentRoute());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function navigate(route: string): void {
  window.location.hash = route;
}
