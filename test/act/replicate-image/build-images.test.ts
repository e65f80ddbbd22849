/**
 * Which of a build's images replicate-image copies, table-driven: each pushed image pinned by
 * the build's digest, unpushed ones set aside, and a hostile name or a source outside the route's
 * rules refused with the reason (one refusal refuses the build, in index.ts).
 */
import { buildCopies } from '../../../functions/act/replicate-image/build-images';
import { parseSource, sourceCheck } from '../../../functions/act/replicate-image/sources';
import type { Build } from '../../../functions/parse/payloads/cloud-build';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const build = (images: Build['images']): Build => ({ id: 'b', status: 'SUCCESS', images, tags: [], substitutions: {} });
const onlyBuildProject = sourceCheck(undefined, 'build-proj');
const loopback = sourceCheck([parseSource('127.0.0.1:5000/build')], undefined);

const cases: [string, Build['images'], ReturnType<typeof sourceCheck>, { copies?: string[]; unpushed?: string[]; refusal?: string }][] = [
  [
    "the project's own Artifact Registry image, tag kept, digest the build's",
    [{ name: 'us-docker.pkg.dev/build-proj/images/api:v1', digest: D1 }],
    onlyBuildProject,
    { copies: [`us-docker.pkg.dev build-proj/images/api v1 ${D1}`] },
  ],
  [
    'a gcr.io image without a tag: by digest only',
    [{ name: 'gcr.io/build-proj/app', digest: D2 }],
    onlyBuildProject,
    { copies: [`gcr.io build-proj/app - ${D2}`] },
  ],
  [
    'an image named without a digest is set aside, the pushed one copied',
    [{ name: 'us-docker.pkg.dev/build-proj/images/api:v1', digest: D1 }, { name: 'us-docker.pkg.dev/build-proj/images/api:latest' }],
    onlyBuildProject,
    { copies: [`us-docker.pkg.dev build-proj/images/api v1 ${D1}`], unpushed: ['us-docker.pkg.dev/build-proj/images/api:latest'] },
  ],
  [
    "another project's registry is refused without sources",
    [{ name: 'us-docker.pkg.dev/other-proj/images/api:v1', digest: D1 }],
    onlyBuildProject,
    { refusal: 'source us-docker.pkg.dev/other-proj/images/api is not a Google registry of project build-proj' },
  ],
  [
    'a look-alike host is refused',
    [{ name: 'us-docker.pkg.dev.attacker.example/build-proj/images/api:v1', digest: D1 }],
    onlyBuildProject,
    { refusal: 'is not a Google registry of project build-proj' },
  ],
  [
    'userinfo in the name is no reference',
    [{ name: 'us-docker.pkg.dev@attacker.example/build-proj/images/api:v1', digest: D1 }],
    onlyBuildProject,
    { refusal: 'image "us-docker.pkg.dev@attacker.example' },
  ],
  [
    "Google's example value http://example.com is no reference",
    [{ name: 'http://example.com', digest: D1 }],
    onlyBuildProject,
    { refusal: 'image "http://example.com"' },
  ],
  [
    'a name pinning another digest than the build reported',
    [{ name: `127.0.0.1:5000/build/images/api@${D2}`, digest: D1 }],
    loopback,
    { refusal: `names digest ${D2}, but the build reported ${D1}` },
  ],
  [
    'a loopback source listed by the route',
    [{ name: '127.0.0.1:5000/build/images/api:v2', digest: D1 }],
    loopback,
    { copies: [`127.0.0.1:5000 build/images/api v2 ${D1}`] },
  ],
  [
    'the same host outside the listed path prefix',
    [{ name: '127.0.0.1:5000/scratch/images/api:v2', digest: D1 }],
    loopback,
    { refusal: "is not in this route's sources" },
  ],
];

describe('buildCopies', () => {
  it.each(cases)('%s', (_title, images, check, want) => {
    const got = buildCopies(build(images), check);
    expect(got.images.map((i) => `${i.host} ${i.path} ${i.tag ?? '-'} ${i.digest}`)).toEqual(want.copies ?? []);
    expect(got.unpushed).toEqual(want.unpushed ?? []);
    if (want.refusal) expect(got.refusals).toEqual([expect.stringContaining(want.refusal)]);
    else expect(got.refusals).toEqual([]);
  });
});
