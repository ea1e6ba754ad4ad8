"""Words of the reports in English and Chinese, declared once.

Maps, the web map and the report document take a ``lang`` of :data:`LANGS` and look up
every word they show here, so that the same class or variable has the same name in every
product. :func:`label` falls back to English for a key without a Chinese entry, and
refuses an unknown language or key.

Terms follow the Chinese standards where they name a thing (GB 51222-2017 内涝防治;
GB 50014-2021 室外排水; 易涝点, 内涝风险图, 管网排水能力).
"""

from __future__ import annotations

from ..errors import InputError

__all__ = ["LANGS", "label", "class_labels"]

#: Languages of the reports.
LANGS = ("en", "zh")

_WORDS: dict[str, tuple[str, str]] = {
    # ---- products and map titles
    "risk_map": ("Waterlogging risk map", "内涝风险图"),
    "depth_map": ("Maximum water depth", "最大积水深度图"),
    "capacity_map": ("Pipe capacity return period", "管网排水能力评估图"),
    "underground_map": ("Underground space exposure", "地下空间进水风险图"),
    "lowest_rp_map": ("Lowest return period that floods", "最低致涝重现期图"),
    "web_map": ("Interactive waterlogging map", "内涝交互地图"),
    "report": ("Waterlogging risk assessment", "内涝风险评估报告"),
    # ---- variables (units are added by the caller)
    "max_depth": ("Maximum depth", "最大水深"),
    "max_velocity": ("Maximum speed", "最大流速"),
    "first_wet_time": ("Time of first flooding", "首次积水时间"),
    "duration_over": ("Time above the waterlogging depth", "积水历时"),
    "hazard_defra": ("Flood hazard (FD2320)", "洪水危险性（FD2320）"),
    "hazard_arr": ("Flood hazard (ARR 2019)", "洪水危险性（ARR 2019）"),
    "hazard_grade": ("Depth × duration hazard grade", "积水深度×历时危险等级"),
    "hazard_rating": ("Hazard rating", "危险性指数"),
    "risk": ("Risk class", "风险等级"),
    "lowest_return_period": ("Lowest return period that floods", "最低致涝重现期"),
    "capacity_return_period": ("Capacity return period", "排水能力重现期"),
    "elevation": ("Ground elevation", "地面高程"),
    # ---- layers
    "waterlogging_points": ("Waterlogging points", "易涝点"),
    "waterlogging_areas": ("Waterlogged areas", "积水区"),
    "underground_spaces": ("Underground spaces", "地下空间"),
    "entrances": ("Underground entrances", "地下空间出入口"),
    "pump_stations": ("Pump stations", "排涝泵站"),
    "facilities": ("Critical facilities", "重要设施"),
    "pipes": ("Pipes", "雨水管渠"),
    "buildings": ("Buildings", "建筑"),
    "node_flooding": ("Manholes that overflowed", "溢流检查井"),
    # ---- sheet furniture
    "scale": ("Scale", "比例尺"),
    "north": ("N", "北"),
    "legend": ("Legend", "图例"),
    "scenario": ("Scenario", "情景"),
    "storm": ("Design storm", "设计暴雨"),
    "drawn": ("Drawn", "制图日期"),
    "data": ("Data", "数据来源"),
    "by": ("by floodrisk", "floodrisk 制图"),
    "unverified": ("project default, unverified", "项目默认值，未经核实"),
    # ---- classes
    "none": ("none", "无"),
    "low": ("low", "低"),
    "medium": ("medium", "中"),
    "high": ("high", "高"),
    "safe": ("safe", "安全"),
    "at risk": ("at risk", "有风险"),
    "flooded": ("flooded", "进水"),
    "failed": ("failed", "失效"),
    "working": ("working", "正常"),
    "relocate": ("relocate", "需迁建"),
    "never": ("never", "未积水"),
    "defra_none": ("none", "无"),
    "defra_low": ("low: caution", "低：注意"),
    "defra_moderate": ("moderate: danger for some", "中：对部分人危险"),
    "defra_significant": ("significant: danger for most", "较高：对多数人危险"),
    "defra_extreme": ("extreme: danger for all", "极高：对所有人危险"),
    # waterlogging causes (floodrisk.assess.waterlogging)
    "surcharge": ("surcharge from the network", "管网顶托溢流"),
    "no_inlet": ("depression with no inlet", "低洼处无收水口"),
    "pipe_capacity": ("pipe capacity exceeded", "管道排水能力不足"),
    "overland": ("overland flow from upslope", "上游坡面汇流"),
    # underground space kinds
    "metro_station": ("metro station", "地铁车站"),
    "car_park": ("car park", "地下车库"),
    "basement": ("basement", "地下室"),
    "underpass": ("underpass", "下穿通道"),
    "tunnel": ("tunnel", "隧道"),
    "substation": ("substation", "变电站"),
    "hospital": ("hospital", "医院"),
    "water_plant": ("water plant", "水厂"),
    # ---- map sheets (floodrisk.report.maps, floodrisk.report.sheets); {x}: filled in
    "ms_peak": ("peak", "峰值雨强"),
    "ms_at_time": ("{name} at {t} min", "{name}（第 {t} min）"),
    "ms_failed_set": ("Stations failing by assumption", "情景假定失效的泵站"),
    "ms_failed_run": ("Stations failed in the run", "计算中失效的泵站"),
    "ms_coordinates": ("Coordinates", "坐标系"),
    "ms_grid_north": ("the arrow points to grid north", "指北针指向坐标北"),
    "ms_scale_on": ("Scale 1:{n} on {paper} paper", "比例尺 1:{n}（{paper} 图幅）"),
    "ms_run_finished": ("Run finished", "计算完成"),
    "ms_no_dem": ("no elevation.tif in the run: no hillshade", "计算结果无 elevation.tif：无地形晕渲"),
    "ms_points_n": ("{n}, labelled with their id", "{n} 处，标注编号"),
    "ms_risk_grid": ("Risk class (area)", "风险等级（面积）"),
    "ms_lowest_rp_legend": ("Deeper than {d} m first at (area)", "首次积水超过 {d} m 的重现期（面积）"),
    "ms_lowest_rp_note": ("The storm was run at each return period listed; a place is "
                          "coloured by the lowest one that floods it. Points: their id and "
                          "lowest return period.",
                          "按所列各重现期分别计算设计暴雨；按致涝的最低重现期着色。点位标注编号与最低致涝重现期。"),
    "ms_risk_buildings": ("Buildings by risk class (number)", "建筑风险等级（栋数）"),
    "ms_risk_note": ("Risk: depth × duration hazard grade × exposure of the land cover.",
                     "风险等级：积水深度×历时危险等级与用地暴露度组合判定。"),
    "ms_thresholds": ("Thresholds: project defaults, unverified.", "阈值：项目默认值，未经核实。"),
    "ms_depth_legend": ("Maximum depth (area)", "最大积水深度（面积）"),
    "ms_outline_title": ("Waterlogging", "内涝判定"),
    "ms_outline": ("{d} m outline: waterlogging depth (GB 51222)",
                   "{d} m 积水深度线（GB 51222 内涝判定标准）"),
    "ms_depth_note": ("Depths below {d} m are not drawn.", "小于 {d} m 的水深不显示。"),
    "ms_capacity_legend": ("Capacity return period (pipes, length)",
                           "管渠排水能力重现期（段数，长度）"),
    "ms_cap_lt_1": ("< 1 a", "小于 1 年一遇"),
    "ms_cap_1_2": ("1-2 a", "1-2 年一遇"),
    "ms_cap_2_3": ("2-3 a", "2-3 年一遇"),
    "ms_cap_3_5": ("3-5 a", "3-5 年一遇"),
    "ms_cap_ge_5": ("≥ 5 a", "5 年一遇及以上"),
    "ms_cap_unknown": ("not assessed (no fall or no section)", "未评估（无坡度或无断面）"),
    "ms_pipe_size": ("Pipe size (line width)", "管径（线宽）"),
    "ms_design_period": ("Design return period P = {p} a", "设计重现期 P = {p} 年"),
    "ms_design": ("Design storm of the pipes", "管渠设计暴雨"),
    "ms_capacity_note": ("Capacity: Manning full-bore flow against the rational-method flow.",
                         "排水能力：曼宁公式满管流量与推理公式设计流量比较。"),
    "ms_spaces_legend": ("Underground spaces (number)", "地下空间（处数）"),
    "ms_entrances_legend": ("Underground entrances (number)", "地下空间出入口（个数）"),
    "ms_faint_depth": ("≥ {d} m, drawn faintly", "≥ {d} m（淡色）"),
    "ms_spaces_at_risk": ("Spaces not safe", "有风险的地下空间"),
    "ms_inflow_at": ("inflow at {t} min", "{t} min 进水"),
    "ms_barrier_by": ("barriers by {t} min", "{t} min 前设挡水"),
    "ms_barrier_before": ("barriers before the rain (no sill)", "降雨前设挡水（无门槛）"),
    "ms_lead_time": ("lead time {t} min", "预警时间 {t} min"),
    "ms_underground_note": ("Times in min from the rain's start. Lead time: first inflow over "
                            "the sill; barrier deadline: water within the freeboard of the sill.",
                            "时间自降雨开始起算（min）。预警时间：首次漫过门槛进水；"
                            "挡水时限：水位达到门槛安全超高以内。"),
    # ---- report document (floodrisk.report.document): headings, columns
    "doc_summary": ("Key findings", "主要结论"),
    "doc_storm": ("Scenario and design storm", "情景与设计暴雨"),
    "doc_balance": ("Volume balance and engine timings", "水量平衡与计算耗时"),
    "doc_points": ("Waterlogging points, ranked", "易涝点（按积水量排序）"),
    "doc_spaces": ("Underground spaces", "地下空间进水风险"),
    "doc_entrances": ("Entrances not safe", "有风险的出入口"),
    "doc_sites": ("Pump stations and critical facilities", "排涝泵站与重要设施"),
    "doc_periods": ("Across return periods", "不同重现期"),
    "doc_maps": ("Maps", "图件"),
    "doc_changes": ("What changed since the previous assessment", "与上次评估相比的变化"),
    "doc_method": ("Method, thresholds and sources", "方法、阈值与数据来源"),
    "doc_engine": ("Engine", "计算引擎"),
    "doc_total_depth": ("Total rain", "总雨量"),
    "doc_peak": ("Peak intensity", "峰值雨强"),
    "doc_duration": ("Duration", "历时"),
    "doc_failed_stations": ("Stations failing by assumption", "假定失效的泵站"),
    "doc_inlet_blockage": ("Inlet blockage", "雨水口堵塞率"),
    "doc_item": ("Item", "项目"),
    "doc_value": ("Value", "数值"),
    "doc_rain": ("Rain on the open ground", "降雨总量"),
    "doc_losses": ("Infiltrated", "下渗"),
    "doc_drained": ("Into the pipes through the inlets", "经雨水口进入管网"),
    "doc_spilled": ("Spilled back from the manholes", "检查井溢出"),
    "doc_outfalls": ("Out through the outfalls", "排放口出流"),
    "doc_boundary": ("Over the grid's open edges", "计算边界出流"),
    "doc_surface_final": ("On the surface at the end", "计算结束时地表存水"),
    "doc_pipe_final": ("In the pipes at the end", "计算结束时管网存水"),
    "doc_error": ("Volume error", "水量误差"),
    "doc_error_rel": ("Relative volume error", "相对水量误差"),
    "doc_exchange_sides": ("Exchange counted on each side", "两侧统计的交换水量"),
    "doc_time_surface": ("2D surface", "二维地表"),
    "doc_time_pipes": ("Pipes (EPA SWMM)", "管网（EPA SWMM）"),
    "doc_time_exchange": ("Exchange", "交换"),
    "doc_time_total": ("Total", "合计"),
    "doc_point": ("Point", "编号"),
    "doc_lowest_rp": ("Lowest return period that floods it", "最低致涝重现期"),
    "doc_evidence": ("Evidence", "依据"),
    "doc_lead_time": ("Lead time (first inflow)", "预警时间（首次进水）"),
    "doc_deadline": ("Barrier deadline", "挡水设施部署时限"),
    "doc_fill": ("Water inside", "内部积水深度"),
    "doc_time_flooded": ("Flooded at", "进水失效时间"),
    "doc_site_depth": ("Depth at the site", "站址最大水深"),
    "doc_margin": ("Margin to equipment", "距设备高程余量"),
    "doc_extra": ("Cost of its failure", "失效造成的额外积水"),
    "doc_status": ("Status", "状态"),
    "doc_previous": ("Previous", "上次"),
    "doc_now": ("Now", "本次"),
    "doc_new": ("new", "新增"),
    "doc_worsened": ("worsened", "加重"),
    "doc_improved": ("improved", "改善"),
    "doc_resolved": ("resolved", "消除"),
    "doc_unchanged": ("unchanged", "无变化"),
    "doc_none_found": ("None.", "无。"),
    "doc_thresholds": ("Thresholds", "阈值"),
    "doc_sources": ("Data", "数据"),
    "doc_versions": ("Software", "软件版本"),
    "doc_run": ("Run", "计算"),
    "doc_drawn": ("Report drawn", "报告生成"),
    "doc_flooded_area": ("Area deeper than the threshold", "超过积水深度的面积"),
    "doc_points_count": ("Waterlogging points", "易涝点数量"),
    "doc_spaces_flooded": ("Underground spaces flooded / at risk", "地下空间进水 / 有风险"),
    "doc_stations_failed": ("Pump stations failed / to relocate", "泵站失效 / 需迁建"),
    "doc_facilities_flooded": ("Critical facilities flooded", "重要设施受淹"),
    "doc_buildings_at_risk": ("Buildings at risk (low / medium / high)", "有风险建筑（低 / 中 / 高）"),
    "doc_risk_area": ("Area at risk (low / medium / high)", "风险区面积（低 / 中 / 高）"),
    "doc_truncated": ("… and {n} more in assessment.gpkg", "……另有 {n} 处，见 assessment.gpkg"),
    "doc_pdf_note": ("Printable copy: report.pdf", "打印版：report.pdf"),
    # ---- season report (floodrisk.report.season)
    "ss_title": ("Pre-flood-season assessment", "汛前内涝风险评估"),
    "ss_tasks": ("Tasks (district × scenario)", "计算任务（分区 × 情景）"),
    "ss_task": ("Task", "任务"),
    "ss_district": ("District", "排水分区"),
    "ss_seconds": ("Time", "耗时"),
    "ss_error": ("Error", "错误"),
    "ss_log": ("Log", "日志"),
    "ss_done": ("done", "完成"),
    "ss_reused": ("reused", "沿用"),
    "ss_failed": ("failed", "失败"),
    "ss_pending": ("pending", "未运行"),
    "ss_tasks_finished": ("Tasks finished", "已完成任务"),
    "ss_tasks_failed": ("Tasks failed", "失败任务"),
    "ss_scenarios": ("Scenarios", "情景"),
    "ss_failure": ("Pump failures", "泵站失效"),
    "ss_points_area": ("Area of the waterlogging points", "易涝点积水面积"),
    "ss_blockage": ("Inlet blockage", "雨水口堵塞"),
    "ss_changes": ("Points new / worse / better / resolved", "易涝点 新增 / 加重 / 改善 / 消除"),
    "ss_kind": ("What", "对象"),
    "ss_incomplete": ("Not merged (a district failed): {ids}", "未合并（有分区失败）：{ids}"),
    "ss_not_in_previous": ("Not in the previous season: {ids}", "上一汛期无此情景：{ids}"),
    # ---- web map (floodrisk.report.webmap): layer names, popup fields, values
    "wm_hillshade": ("Hillshaded DEM", "地形晕渲"),
    "wm_waterlogging_point": ("Waterlogging point", "易涝点"),
    "wm_entrance": ("Underground entrance", "地下空间出入口"),
    "wm_pump_station": ("Pump station", "排涝泵站"),
    "wm_rank": ("Rank", "排序"),
    "wm_area": ("Area", "积水面积"),
    "wm_volume": ("Volume", "积水量"),
    "wm_duration_over": ("Time above the waterlogging depth", "积水历时"),
    "wm_first_time_over": ("First above the waterlogging depth, from rain start",
                           "首次超过积水深度（自降雨开始）"),
    "wm_cause": ("Cause", "成因"),
    "wm_road": ("Road", "所在道路"),
    "wm_space_id": ("Underground space", "地下空间"),
    "wm_kind": ("Kind", "类型"),
    "wm_max_outside_depth": ("Maximum depth outside", "出入口外最大水深"),
    "wm_sill_height": ("Sill height", "挡水门槛高度"),
    "wm_time_at_risk": ("Barrier deadline (water near the sill), from rain start",
                        "挡水设施部署时限（水位接近门槛）（自降雨开始）"),
    "wm_first_inflow_time": ("First inflow, from rain start", "首次进水时间（自降雨开始）"),
    "wm_inflow_volume": ("Inflow volume", "进水量"),
    "wm_class": ("Class", "等级"),
    "wm_name": ("Name", "名称"),
    "wm_max_site_depth": ("Maximum depth at the site", "站址最大水深"),
    "wm_status": ("Status", "运行状态"),
    "wm_failure_time": ("Failure time, from rain start", "失效时间（自降雨开始）"),
    "wm_relocate": ("Relocate", "是否需迁建"),
    "wm_yes": ("yes", "是"),
    "wm_no": ("no", "否"),
    "wm_never": ("never", "未发生"),
    "wm_no_data": ("no data", "无数据"),
    "wm_storm": ("Storm", "暴雨"),
    "wm_finished": ("Run finished", "计算完成时间"),
}


def _lang(lang: str) -> int:
    if lang not in LANGS:
        raise InputError(f"unknown report language {lang!r}; known: {', '.join(LANGS)}.",
                         field="lang")
    return LANGS.index(lang)


def label(key: str, lang: str = "en") -> str:
    """The word for ``key`` in ``lang`` ("en" or "zh").

    Parameters
    ----------
    key
        A key of the table (a product, variable, layer or class name).
    lang
        One of :data:`LANGS`.
    """
    k = _lang(lang)
    try:
        words = _WORDS[key]
    except KeyError:
        raise InputError(f"no report label {key!r}.", field="key") from None
    return words[k] or words[0]


def class_labels(keys: tuple[str, ...] | list[str], lang: str = "en") -> list[str]:
    """:func:`label` of several keys (e.g. the classes of a legend), in order."""
    return [label(k, lang) for k in keys]
