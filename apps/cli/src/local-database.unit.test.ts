import type { LocalState } from '@writeback/persistence';
import { chooseDatabase, localDataDirs, type FoundLocalState } from './local-database';

const state = (pid: number): LocalState => ({
  version: 1,
  pid,
  startedAt: '2026-12-05T10:00:00.000Z',
  endpoints: { gate: 'http://127.0.0.1:8080', config: 'http://127.0.0.1:8081', audit: 'http://127.0.0.1:8083' },
  databaseUrl: 'postgresql://postgres@127.0.0.1:41234/writeback',
  passwordFile: '/srv/writeback/.writeback/postgres/password',
});

describe('chooseDatabase', () => {
  const running: FoundLocalState = { file: '/data/local.json', state: state(10), running: true };
  const stale: FoundLocalState = { file: '/srv/writeback/.writeback/local.json', state: state(11), running: false };
  const absent: FoundLocalState = { file: '/srv/writeback/.writeback/local.json', state: undefined, running: false };

  it('given WRITEBACK_DATABASE_URL, then it wins over a running npm start', () => {
    expect(chooseDatabase('postgresql://u:p@db:5432/wb', [running])).toEqual({
      source: 'environment',
      url: 'postgresql://u:p@db:5432/wb',
    });
  });

  it('given no URL and a running npm start, then its state is used', () => {
    expect(chooseDatabase(undefined, [absent, running])).toEqual({
      source: 'npm start',
      file: '/data/local.json',
      state: running.state,
    });
  });

  it('given no URL and only a state file left by a launcher that died, then none, naming it', () => {
    expect(chooseDatabase('', [stale])).toEqual({ source: 'none', looked: [stale.file], stale: [stale] });
  });

  it('given nothing, then none, with where it looked', () => {
    expect(chooseDatabase(undefined, [absent])).toEqual({ source: 'none', looked: [absent.file], stale: [] });
  });
});

describe('localDataDirs', () => {
  it("looks in WRITEBACK_DATA_DIR (from the current directory) first, then the checkout's default", () => {
    expect(localDataDirs({ WRITEBACK_DATA_DIR: 'data' }, '/srv/writeback', '/home/me')).toEqual([
      '/home/me/data',
      '/srv/writeback/.writeback',
    ]);
    expect(localDataDirs({}, '/srv/writeback', '/home/me')).toEqual(['/srv/writeback/.writeback']);
    expect(localDataDirs({ WRITEBACK_DATA_DIR: '/srv/writeback/.writeback' }, '/srv/writeback', '/')).toEqual([
      '/srv/writeback/.writeback',
    ]);
    // Outside a checkout (the image): only WRITEBACK_DATA_DIR.
    expect(localDataDirs({}, undefined, '/app')).toEqual([]);
  });
});
