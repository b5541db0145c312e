// The page: navigation, the range and time-zone bar, and the view the URL's path names. On first
// load the URL is completed with the time zone and range in force, so that it always says what
// the page shows.
import { useEffect } from 'preact/hooks';
import { Nav, RangeBar, VIEWS } from './components';
import { useLive } from './data';
import { DEFAULT_PRESET, rangeOf } from './range';
import { navigate, useLocation, withParams } from './router';
import { Blocks } from './views/blocks';
import { Branches } from './views/branches';
import { Groups } from './views/groups';
import { Overview } from './views/overview';
import { Pipeline } from './views/pipeline';
import { Session } from './views/session';
import { Sessions } from './views/sessions';
import { Tools } from './views/tools';

export function App() {
  const loc = useLocation();
  const range = rangeOf(loc);
  const { connected } = useLive();
  useEffect(() => {
    const p = loc.params;
    const missing: Record<string, string> = {};
    if (!p.get('tz')) missing.tz = range.tz;
    if (!p.get('range') && !p.get('from') && !p.get('to')) missing.range = DEFAULT_PRESET;
    if (Object.keys(missing).length > 0) navigate(loc.path, withParams(loc, missing), true);
  }, [loc]);
  const path = loc.path.replace(/\/+$/, '') || '/';
  let title = VIEWS.find(([p]) => p === path)?.[1] ?? 'Not found';
  let view;
  if (path === '/') view = <Overview loc={loc} range={range} />;
  else if (path === '/sessions') view = <Sessions loc={loc} range={range} />;
  else if (path.startsWith('/sessions/')) {
    title = 'Session';
    view = <Session loc={loc} range={range} id={decodeURIComponent(path.slice('/sessions/'.length))} />;
  } else if (path === '/projects') view = <Groups loc={loc} range={range} kind="project" />;
  else if (path === '/models') view = <Groups loc={loc} range={range} kind="model" />;
  else if (path === '/branches') view = <Branches loc={loc} range={range} />;
  else if (path === '/tools') view = <Tools range={range} />;
  else if (path === '/blocks') view = <Blocks range={range} />;
  else if (path === '/pipeline') view = <Pipeline range={range} />;
  else view = <p class="empty">No such page.</p>;
  return (
    <div class="layout">
      <Nav loc={loc} live={connected} />
      <main>
        <header class="top">
          <h1>{title}</h1>
          <RangeBar loc={loc} range={range} />
        </header>
        {view}
      </main>
    </div>
  );
}
