// A screen recording for the video benchmark, made with ffmpeg from dev-set screens.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, shared } from './harness.mjs';

const SCENES = path.join(ROOT, 'target/bench-scenes');

/**
 * A 1920x1080, 60-second, 30 fps screen recording made from dev-set screens (kept in
 * target/bench-scenes): 15 s of a product catalogue, an HR table that sits still for 5 s then
 * scrolls for 10 s, a patient list, the catalogue again.
 */
export function screenRecording() {
  const file = path.join(SCENES, 'screen-1920x1080-60s.mp4');
  if (existsSync(file)) return file;
  mkdirSync(SCENES, { recursive: true });
  const fit = 'scale=1920:-2,pad=1920:max(ih\\,1080):0:0:white';
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y',
    '-loop', '1', '-t', '15', '-i', shared('eval/dev/dev_0013_decoyCatalog.png'),
    '-loop', '1', '-t', '15', '-i', shared('eval/dev/dev_0009_hrEmployees.png'),
    '-loop', '1', '-t', '15', '-i', shared('eval/dev/dev_0049_ehrInpatients.png'),
    '-loop', '1', '-t', '15', '-i', shared('eval/dev/dev_0013_decoyCatalog.png'),
    '-filter_complex',
    `[0]${fit},crop=1920:1080:0:0,fps=30,setsar=1[a];` +
    `[1]${fit},crop=1920:1080:0:'min(ih-1080,max(0,(t-5)*44))',fps=30,setsar=1[b];` +
    `[2]${fit},crop=1920:1080:0:0,fps=30,setsar=1[c];` +
    `[3]${fit},crop=1920:1080:0:0,fps=30,setsar=1[d];[a][b][c][d]concat=n=4:v=1:a=0[v]`,
    '-map', '[v]', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-r', '30', file]);
  return file;
}

