// The page: navigation, the range and time-zone bar, and the view the URL's path names. On first
// load the URL is completed with the time zone and range in force, so that it always says what
// the page shows. Over a team database (`dashboard --postgres`), the team it shows and, when the
// last pull from it failed, a banner saying the figures are stale.
import { useEffect, useState } from 'preact/hooks';
import type { TeamAnswer, TeamInfo } from '../../report/dashboard-types';
import { Nav, RangeBar, VIEWS } from './components';
import { useApi, useLive } from './data';
import { fmtTime } from './format';
import { DEFAULT_PRESET, rangeOf } from './range';
import { navigate, useLocation, withParams } from './router';
import { Blocks } from './views/blocks';
import { Branches } from './views/branches';
import { Developers } from './views/developers';
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
  // Polled every 2 s over a team database: a failing pull changes no figure, so no live event tells of it.
  const [isTeam, setIsTeam] = useState(false);
  const teamApi = useApi<TeamAnswer>('/api/team', isTeam ? 2000 : 0);
  const team = teamApi.data?.team ?? null;
  useEffect(() => {
    if (team !== null && !isTeam) setIsTeam(true);
  }, [team, isTeam]);
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
  else if (path === '/developers') view = <Developers loc={loc} range={range} />;
  else view = <p class="empty">No such page.</p>;
  return (
    <div class="layout">
      <Nav loc={loc} live={connected} team={team !== null} />
      <main>
        <header class="top">
          <h1>{title}</h1>
          <RangeBar loc={loc} range={range} />
        </header>
        {team && <TeamLine team={team} tz={range.tz} />}
        {view}
      </main>
    </div>
  );
}

/** Which team database the page shows (its password never sent here), and a banner when the last pull failed. */
function TeamLine({ team, tz }: { team: TeamInfo; tz: string }) {
  const only = [team.developers.length ? `developers ${team.developers.join(', ')}` : '', team.machines.length ? `machines ${team.machines.join(', ')}` : ''].filter(Boolean).join(', ');
  return (
    <>
      <p class="team-line" data-testid="team-line">
        Team database <code>{team.postgres}</code>{only && ` (${only})`} · read {team.last_pull_at ? fmtTime(team.last_pull_at, tz, { seconds: true }) : '–'}
      </p>
      {team.stale && (
        <p class="error stale" role="alert" data-testid="stale-banner">
          Stale: the team database has not answered since {team.last_pull_at ? fmtTime(team.last_pull_at, tz, { seconds: true }) : 'the start'} ({team.last_error}). The figures shown are as of then; retrying every {Math.round(team.interval_ms / 1000)} s.
        </p>
      )}
    </>
  );
}
