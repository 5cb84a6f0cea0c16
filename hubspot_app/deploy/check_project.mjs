// Parses a HubSpot project with HubSpot's own parser (@hubspot/project-parsing-lib, the cards' devDependency):
// `node check_project.mjs <project dir> <cards dir with node_modules>`. Prints a JSON summary; exits 1 on error.
// Offline the parser checks structure only (its schema check fetches schemas from HubSpot's API).
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [projectDir, cardsDir] = process.argv.slice(2).map((dir) => path.resolve(dir));
const resolve = createRequire(path.join(cardsDir, 'package.json')).resolve;
const load = (name) => import(pathToFileURL(resolve(name)).href);

try {
  const { parseProjectConfig, isKnownPlatformVersion } = await load('@hubspot/project-parsing-lib/projects');
  const { translate } = await load('@hubspot/project-parsing-lib/translate');
  const project = parseProjectConfig(projectDir);
  if (!project || !isKnownPlatformVersion(project.platformVersion)) {
    throw new Error(`hsproject.json: unknown platformVersion ${project && project.platformVersion}`);
  }
  const { intermediateRepresentation, skippedHsMetaFiles } = await translate(
    { projectSourceDir: path.join(projectDir, project.srcDir), platformVersion: project.platformVersion },
    { skipValidation: true }
  );
  if (skippedHsMetaFiles.length) throw new Error(`files the parser skipped: ${skippedHsMetaFiles.join(', ')}`);
  const nodes = Object.values(intermediateRepresentation.intermediateNodesIndexedByUid);
  console.log(JSON.stringify({
    platformVersion: project.platformVersion,
    components: nodes.map((node) => ({ uid: node.uid, type: node.componentType, config: node.config })),
  }));
} catch (error) {
  console.error(error && error.message ? error.message : String(error));
  process.exit(1);
}
