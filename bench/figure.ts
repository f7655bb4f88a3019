export interface Figure {
  readonly backend: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: { readonly name: string; readonly value: number; readonly ratio: number };
  readonly goal?: string;
}
