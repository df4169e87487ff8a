// Shapes World render speed (issue 10 acceptance: 1,000 scenes at 128×128 in ≤ 10 s on one core).
import { renderScene, sampleScene, sceneRng } from '../src/world/index.ts';
import { timeMs, type Bench } from './table.ts';

const SCENES = 1000;
const SIZE_PX = 128;

function renderMany(): void {
  for (let i = 0; i < SCENES; i++) renderScene(sampleScene(sceneRng('train', i)), SIZE_PX);
}

export const bench: Bench = {
  name: 'world',
  async run() {
    const ms = await timeMs(renderMany, 3, 1);
    return [
      {
        name: `world: sample + render ${SCENES} scenes at ${SIZE_PX}×${SIZE_PX}`,
        value: ms / 1000,
        unit: 's',
        note: 'target ≤ 10 s on one core',
      },
    ];
  },
};
