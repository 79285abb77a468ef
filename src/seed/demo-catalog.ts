import type { Money } from '../domain/money.ts';
import type { ProductAttributes } from '../domain/product/index.ts';
import { CATALOG_CURRENCY } from '../projections/catalog/index.ts';

export type DemoProduct = Readonly<{
  sku: string;
  title: string;
  description: string;
  brand: string;
  category: string;
  attributes: ProductAttributes;
  price: Money;
  /** Units received into stock; 0 for the products shown as sold out. */
  stock: number;
  listedAt: string;
}>;

/** mulberry32: a tiny seeded PRNG, so every start builds exactly the same catalog. */
const randomSequence = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};

type Draw = {
  pick: <T>(options: readonly T[]) => T;
  between(min: number, max: number): number;
  chance(p: number): boolean;
};

type CategoryPlan = Readonly<{
  category: string;
  prefix: string;
  count: number;
  brands: readonly string[];
  /** Price range in dollars; prices end in .99. */
  dollars: readonly [number, number];
  maxStock: number;
  make(draw: Draw, brand: string): { title: string; attributes: ProductAttributes; blurb: string };
}>;

const COLOURS = ['Black', 'White', 'Navy', 'Grey', 'Red', 'Green', 'Beige', 'Blue'];

const PLANS: readonly CategoryPlan[] = [
  {
    category: 'Apparel',
    prefix: 'APP',
    count: 300,
    brands: ['Northwind', 'Bluefield', 'Urban Thread', 'Alpine Co', 'Saltwater', 'Kestrel'],
    dollars: [9, 149],
    maxStock: 120,
    make({ pick }, brand) {
      const kind = pick(['T-Shirt', 'Hoodie', 'Jeans', 'Jacket', 'Sweater', 'Dress', 'Shorts', 'Polo']);
      const [colour, size, material] = [
        pick(COLOURS),
        pick(['XS', 'S', 'M', 'L', 'XL', 'XXL']),
        pick(['Cotton', 'Wool', 'Linen', 'Denim', 'Recycled Polyester']),
      ];
      return {
        title: `${brand} ${material} ${kind} (${colour}, ${size})`,
        attributes: { size, colour, material },
        blurb: `A ${material.toLowerCase()} ${kind.toLowerCase()} in ${colour.toLowerCase()}, cut true to size.`,
      };
    },
  },
  {
    category: 'Laptops',
    prefix: 'LAP',
    count: 150,
    brands: ['Lumen', 'Corvid', 'Tessera', 'Arcwave', 'Nimbus'],
    dollars: [499, 2999],
    maxStock: 25,
    make({ pick }, brand) {
      const [ram, cpu, storage, screen] = [
        pick([8, 16, 32, 64]),
        pick(['Core i5-1340P', 'Core i7-1360P', 'Ryzen 5 7640U', 'Ryzen 7 7840U', 'Core Ultra 7 155H']),
        pick([256, 512, 1024, 2048]),
        pick([13.3, 14, 15.6, 16]),
      ];
      const line = pick(['Air', 'Pro', 'Book', 'Studio', 'Go']);
      return {
        title: `${brand} ${line} ${screen}" ${cpu} ${ram}GB/${storage}GB`,
        attributes: { ramGb: ram, cpu, storageGb: storage, screenInches: screen },
        blurb: `A ${screen}-inch laptop with ${ram} GB of memory and a ${storage} GB SSD.`,
      };
    },
  },
  {
    category: 'Books',
    prefix: 'BOO',
    count: 300,
    brands: ['Harbor Press', 'Quill & Co', 'Meridian Books', 'Lantern House', 'Oakleaf'],
    dollars: [7, 39],
    maxStock: 80,
    make({ pick, between }) {
      const title = `The ${pick(['Silent', 'Last', 'Hidden', 'Distant', 'Golden', 'Broken', 'Winter', 'Paper'])} ${pick(['Harbour', 'Garden', 'Engine', 'Letter', 'Orchard', 'Lighthouse', 'Map', 'Station'])}`;
      const author = `${pick(['Ada', 'Tomas', 'Mira', 'Jonah', 'Elif', 'Ravi', 'Nora', 'Felix'])} ${pick(['Lindqvist', 'Okafor', 'Moreau', 'Tanaka', 'Brennan', 'Silva', 'Novak', 'Hale'])}`;
      const format = pick(['Paperback', 'Hardcover']);
      return {
        title: `${title} (${format})`,
        attributes: { author, pages: between(120, 900), format, language: 'English' },
        blurb: `A novel by ${author}.`,
      };
    },
  },
  {
    category: 'Kitchen',
    prefix: 'KIT',
    count: 200,
    brands: ['Copperleaf', 'Hearth & Home', 'Stellar Kitchen', 'Forge', 'Brightcook'],
    dollars: [14, 249],
    maxStock: 60,
    make({ pick, chance }, brand) {
      const kind = pick([
        'Chef Knife',
        'Frying Pan',
        'Saucepan',
        'Cutting Board',
        'Kettle',
        'Blender',
        'Toaster',
        'Dutch Oven',
        'Coffee Grinder',
      ]);
      const material = pick(['Stainless Steel', 'Cast Iron', 'Bamboo', 'Ceramic', 'Aluminium']);
      const colour = pick(COLOURS);
      return {
        title: `${brand} ${material} ${kind} (${colour})`,
        attributes: { material, colour, dishwasherSafe: chance(0.6) },
        blurb: `A ${material.toLowerCase()} ${kind.toLowerCase()} for everyday cooking.`,
      };
    },
  },
  {
    category: 'Toys',
    prefix: 'TOY',
    count: 150,
    brands: ['Tinkertown', 'Playwell', 'Brightbox', 'Little Maker'],
    dollars: [9, 129],
    maxStock: 90,
    make({ pick, between }, brand) {
      const kind = pick([
        'Building Blocks',
        'Jigsaw Puzzle',
        'Plush Bear',
        'Race Car',
        'Doll House',
        'Board Game',
        'Kite',
        'Train Set',
      ]);
      const ageRange = pick(['3+', '6+', '8+', '12+']);
      return {
        title: `${brand} ${kind} ${ageRange}`,
        attributes: { ageRange, pieces: between(1, 1500) },
        blurb: `A ${kind.toLowerCase()} for ages ${ageRange}.`,
      };
    },
  },
  {
    category: 'Headphones',
    prefix: 'AUD',
    count: 100,
    brands: ['Sonique', 'Auralis', 'Pulse', 'Echo Labs'],
    dollars: [29, 399],
    maxStock: 50,
    make({ pick, chance, between }, brand) {
      const wireless = chance(0.7);
      const style = pick(['Over-Ear', 'On-Ear', 'In-Ear']);
      return {
        title: `${brand} ${style} ${wireless ? 'Wireless ' : ''}Headphones (${pick(COLOURS)})`,
        attributes: {
          style,
          wireless,
          noiseCancelling: chance(0.5),
          batteryHours: wireless ? between(10, 60) : 0,
        },
        blurb: `${style} headphones${wireless ? ' with Bluetooth' : ''}.`,
      };
    },
  },
];

const FIRST_LISTING = Date.parse('2025-01-01T00:00:00.000Z');

/** 1,200 products across six categories, the same on every call; about one in eight sold out. */
export function demoCatalog(): DemoProduct[] {
  const random = randomSequence(20_250_101);
  const draw: Draw = {
    pick: (options) => options[Math.floor(random() * options.length)]!,
    between: (min, max) => min + Math.floor(random() * (max - min + 1)),
    chance: (p) => random() < p,
  };
  const products: DemoProduct[] = [];
  for (const plan of PLANS)
    for (let n = 1; n <= plan.count; n++) {
      const brand = draw.pick(plan.brands);
      const { title, attributes, blurb } = plan.make(draw, brand);
      products.push({
        sku: `${plan.prefix}-${String(n).padStart(5, '0')}`,
        title,
        description: `${blurb} By ${brand}.`,
        brand,
        category: plan.category,
        attributes,
        price: {
          amount: draw.between(plan.dollars[0], plan.dollars[1]) * 100 + 99,
          currency: CATALOG_CURRENCY,
        },
        stock: draw.chance(0.12) ? 0 : draw.between(1, plan.maxStock),
        listedAt: new Date(FIRST_LISTING + products.length * 60_000).toISOString(),
      });
    }
  return products;
}
