// ResnetBlock2D against the unet_tiny fixture capture of down_blocks.1.resnets.0 (32 → 64 channels, conv shortcut).
import { test } from 'node:test';
import { Graph, EngineSession } from '../../src/engine/index.ts';
import { openSafetensors } from '../../src/io/safetensors.ts';
import { BuildContext } from '../../src/models/build-context.ts';
import { resnetBlock } from '../../src/models/resnet.ts';
import { ModelWeights } from '../../src/models/weights.ts';
import { ReferenceFile, assertClose } from '../support/model-reference.ts';
import { referencePath, referenceSkip } from '../support/reference.ts';

test('a resnet block with time embedding and conv shortcut matches diffusers (1e-4)', { skip: referenceSkip() }, async () => {
  const ref = new ReferenceFile('diffusers/refs/unet_tiny_forward.safetensors');
  const x = ref.tensor('t500.fine.down_blocks.1.resnets.0.in');
  const temb = ref.tensor('t500.time_embedding.out');
  const g = new Graph();
  const weights = new ModelWeights(openSafetensors(referencePath('diffusers/unet_tiny/diffusion_pytorch_model.safetensors')), { ignore: (n) => !n.startsWith('down_blocks.1.resnets.0.') });
  const ctx = new BuildContext(g, weights);
  const xIn = g.input('x', 'float32', x.shape);
  const tIn = g.input('temb', 'float32', temb.shape);
  const out = g.scope('down_blocks.1.resnets.0', () => resnetBlock(ctx, xIn, g.silu(tIn), { outChannels: 64, groups: 32, eps: 1e-5 }));
  g.output('out', out);
  ctx.finish('resnet');
  const session = await EngineSession.create(g, { cacheDir: false });
  const result = await session.run({ x, temb });
  assertClose(result['out'], ref.tensor('t500.fine.down_blocks.1.resnets.0.out'), 'down_blocks.1.resnets.0.out');
});
