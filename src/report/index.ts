// SPDX-License-Identifier: GPL-2.0-only
/*
 * The report layer's entry: the model types (the contract between the collectors and the
 * renderer) and renderHtml(), which turns a model into one self-contained HTML page.
 *
 * Kernel: none (kmem's report).
 */

export type {
  ChunkModel,
  DmaPageModel,
  DmapoolModel,
  FileModel,
  FlushModel,
  GenpoolModel,
  LazyAreaModel,
  LifeModel,
  ReplayPanelModel,
  ReplayPoolEndModel,
  ReportModel,
  RunModel,
  SeriesModel,
  SeriesUnit,
  TableModel,
  TimeModel,
  VmallocModel,
  VmAreaKind,
  VmAreaModel,
  VmapBlockModel,
} from './model.js';
export { renderHtml } from './render/page.js';
export { escapeHtml } from './render/html.js';
