#!/usr/bin/env node
/**
 * Writes public/datasets/moon-stories.jsonl: the sample dataset shipped with webtune, generated from the story
 * templates below with a fixed seed, so running it again gives the same file byte for byte.
 *
 *   node scripts/make-sample-dataset.mjs [--out public/datasets/moon-stories.jsonl] [--count 400] [--seed 7]
 *
 * Every story opens with the ritual "Hush, the moon is up." and closes with the sentence
 * "And the moon hummed goodnight." Neither appears in TinyStories-style text, so how often a model writes the
 * closing sentence before and after fine-tuning shows whether it learned the style. Words stay simple
 * (TinyStories vocabulary) so stories260K, with its 512-token vocabulary, can learn it in a few hundred steps.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const OUT = arg('out', 'public/datasets/moon-stories.jsonl');
const COUNT = Number(arg('count', '400'));
const SEED = Number(arg('seed', '7'));

const OPENING = 'Hush, the moon is up.';
const CLOSING = 'And the moon hummed goodnight.';

/** mulberry32: a tiny seeded generator, enough to pick template slots reproducibly. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(SEED);
const pick = (list) => list[Math.floor(random() * list.length)];

const GIRLS = ['Lily', 'Mia', 'Sue', 'Anna', 'Lucy', 'Zoe', 'Amy', 'Kim', 'Emma', 'Sara', 'Ella', 'Rose', 'Jane'];
const BOYS = ['Tom', 'Ben', 'Max', 'Sam', 'Jack', 'Tim', 'Bob', 'Leo', 'Joe', 'Dan', 'Jim', 'Finn', 'Luke'];
const PLACES = ['park', 'garden', 'yard', 'hill', 'beach', 'farm', 'pond', 'forest', 'river', 'field', 'lake', 'house'];
const PETS = ['cat', 'dog', 'bunny', 'duck', 'puppy', 'kitten', 'bird', 'frog'];
const ANIMALS = ['owl', 'fox', 'mouse', 'bear', 'frog', 'bird', 'deer', 'duck', 'bug', 'fish', 'sheep', 'cow'];
const COLORS = ['red', 'blue', 'green', 'yellow', 'pink', 'big', 'little', 'shiny', 'soft'];
const TOYS = ['ball', 'kite', 'hat', 'box', 'boat', 'drum', 'cup', 'book', 'shoe', 'car', 'doll', 'bell'];
const CLOTHES = ['hat', 'scarf', 'coat', 'sock', 'blanket'];
const BUILT = ['tower', 'house', 'castle', 'fort', 'bridge'];
const SPOTS = ['tree', 'rock', 'door', 'bed', 'bush', 'gate'];
/** Story bodies: each a function of the slots, two short sentences (stories260K needs ~2.5 tokens a word). */
const BODIES = [
  (c) => `${c.name} and ${c.his} ${c.pet} went to the ${c.place}. They found a ${c.color} ${c.toy} by a ${c.spot}.`,
  (c) => `${c.name} lost ${c.his} ${c.toy} at the ${c.place}. The ${c.pet} found it by a ${c.spot}.`,
  (c) => `${c.name} could not sleep at the ${c.place}. A little ${c.animal} came and sang to ${c.him}.`,
  (c) => `${c.name} played with ${c.friend} at the ${c.place}. They shared a ${c.color} ${c.toy}.`,
  (c) => `${c.name} made a ${c.color} ${c.toy} at the ${c.place}. Mom gave ${c.him} a big hug.`,
  (c) => `At the ${c.place}, ${c.name} saw a cold ${c.animal}. ${c.He} gave it ${c.his} ${c.cloth}.`,
  (c) => `${c.name} and ${c.friend} built a ${c.built} at the ${c.place}. It did not fall.`,
  (c) => `${c.name} found a baby ${c.animal} at the ${c.place}. ${c.He} helped it find its mom.`,
  (c) => `${c.name} was scared at the ${c.place}. The ${c.pet} sat close, and ${c.name} smiled.`,
  (c) => `${c.name} and ${c.friend} were sad at the ${c.place}. Then they shared and were happy.`,
];

const PROMPTS = [
  (c) => `Tell a moon story about ${c.name} at the ${c.place}.`,
  (c) => `Moon story: ${c.name} at the ${c.place}.`,
  (c) => `Write a moon story about ${c.name} and the ${c.place}.`,
];

function slots() {
  const girl = random() < 0.5;
  const name = pick(girl ? GIRLS : BOYS);
  let friend = pick([...GIRLS, ...BOYS]);
  while (friend === name) friend = pick([...GIRLS, ...BOYS]);
  let animal = pick(ANIMALS);
  const pet = pick(PETS);
  while (animal === pet) animal = pick(ANIMALS);
  return {
    name,
    friend,
    He: girl ? 'She' : 'He',
    his: girl ? 'her' : 'his',
    him: girl ? 'her' : 'him',
    place: pick(PLACES),
    pet,
    animal,
    color: pick(COLORS),
    toy: pick(TOYS),
    cloth: pick(CLOTHES),
    built: pick(BUILT),
    spot: pick(SPOTS),
  };
}

const rows = [];
const seen = new Set();
while (rows.length < COUNT) {
  const c = slots();
  const story = [OPENING, pick(BODIES)(c), CLOSING].join(' ');
  if (seen.has(story)) continue;
  seen.add(story);
  rows.push({ prompt: pick(PROMPTS)(c), completion: story });
}

mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
console.log(`wrote ${rows.length} examples to ${OUT}`);
