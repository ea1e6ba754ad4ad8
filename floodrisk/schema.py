"""The accepted data schema: layers, columns, units, defaults and aliases, in one place.

Every loader reads its column names, units, defaults and aliases from :data:`LAYERS`,
and the README's schema tables are rendered from it (``floodrisk schema``), so code
and documentation cannot drift apart.

Aliases are matched case-insensitively, ignoring surrounding blanks. An alias may
carry a unit (``diameter_mm``, ``管径(mm)``): its values are multiplied by the factor to
reach the canonical SI unit. Categorical columns also accept value aliases
(``圆形`` → ``circular``, ``检查井`` → ``junction``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Column", "Layer", "LAYERS", "NETWORK_LAYERS", "ASSET_LAYERS", "layer", "schema_markdown"]

Kind = Literal["str", "float", "date"]


@dataclass(frozen=True)
class Column:
    """One column of a layer.

    Parameters
    ----------
    name
        Canonical column name.
    kind
        ``"str"``, ``"float"`` or ``"date"``.
    unit
        SI unit of the canonical values ("" when dimensionless).
    required
        Whether every feature must give a value.
    default
        Constant used where the column is absent or empty (``None``: no constant).
    derived
        How a missing value is worked out, in words (for the docs); the loader does it.
    aliases
        Other accepted names, matched case-insensitively.
    scaled
        Other accepted names whose values are in another unit: name → factor to SI.
    choices
        Allowed values of a categorical column.
    value_aliases
        Other spellings of the choices: alias → choice.
    minimum
        Smallest allowed value; ``exclusive`` says whether it is excluded.
    maximum
        Largest allowed value.
    description
        Meaning, for the docs.
    """

    name: str
    kind: Kind
    unit: str = ""
    required: bool = False
    default: Any = None
    derived: str | None = None
    aliases: tuple[str, ...] = ()
    scaled: dict[str, float] = field(default_factory=dict)
    choices: tuple[str, ...] = ()
    value_aliases: dict[str, str] = field(default_factory=dict)
    minimum: float | None = None
    exclusive: bool = False
    maximum: float | None = None
    description: str = ""


@dataclass(frozen=True)
class Layer:
    """One layer of the accepted data.

    Parameters
    ----------
    name
        Canonical layer name (GeoPackage table name, or file stem).
    geometry
        Expected geometry type, or None for a table.
    columns
        The columns, canonical names first.
    aliases
        Other accepted layer names / file stems.
    description
        What the layer holds.
    rules
        Cross-column rules the loader enforces, in words (for the docs).
    """

    name: str
    geometry: Literal["Point", "LineString", "Polygon"] | None
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()
    description: str = ""
    rules: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"layer {self.name!r} has no column {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical column names."""
        return tuple(c.name for c in self.columns)


_ID = ("id", "编号")
_NAME = ("名称", "title")

_NODE_KINDS = {
    "manhole": "junction", "mh": "junction", "junctions": "junction", "inlet": "junction",
    "检查井": "junction", "窨井": "junction", "雨水井": "junction", "节点": "junction",
    "雨水口": "junction",
    "outlet": "outfall", "outfalls": "outfall", "排放口": "outfall", "出水口": "outfall",
    "排口": "outfall", "出口": "outfall",
    "tank": "storage", "pond": "storage", "wet_well": "storage", "调蓄池": "storage",
    "蓄水池": "storage", "前池": "storage",
}
_SHAPES = {
    "circle": "circular", "round": "circular", "pipe": "circular", "圆形": "circular",
    "圆管": "circular", "rect": "rect_closed", "rectangular": "rect_closed", "box": "rect_closed",
    "矩形": "rect_closed", "方涵": "rect_closed", "箱涵": "rect_closed",
    "open_rect": "rect_open", "rectangular_open": "rect_open", "矩形明渠": "rect_open",
    "明渠": "rect_open", "盖板明渠": "rect_open",
    "其他": "other", "其它": "other", "custom": "other",
}
_SPACE_KINDS = {
    "metro": "metro_station", "subway": "metro_station", "station": "metro_station",
    "地铁站": "metro_station", "地铁车站": "metro_station",
    "parking": "car_park", "carpark": "car_park", "garage": "car_park",
    "地下车库": "car_park", "地下停车场": "car_park", "车库": "car_park",
    "地下室": "basement", "cellar": "basement",
    "下穿通道": "underpass", "下穿": "underpass", "下立交": "underpass", "地道": "underpass",
    "隧道": "tunnel",
}
_FACILITY_KINDS = {
    "变电站": "substation", "配电房": "substation", "医院": "hospital",
    "水厂": "water_plant", "自来水厂": "water_plant", "waterworks": "water_plant",
    "其他": "other",
}

NODES = Layer(
    "nodes", "Point",
    (
        Column("node_id", "str", required=True,
               aliases=("node", "nodeid", "manhole_id", "mh_id", "节点编号", "检查井编号",
                        "井号", *_ID),
               description="Unique id of the manhole, junction, outfall or storage node."),
        Column("kind", "str", default="junction", choices=("junction", "outfall", "storage"),
               value_aliases=_NODE_KINDS,
               aliases=("type", "node_type", "类型", "节点类型"),
               description="Node type."),
        Column("invert_elev", "float", "m", required=True,
               aliases=("invert", "inv_elev", "invert_el", "invertelev", "ie", "井底标高",
                        "管底标高", "底标高"),
               description="Elevation of the node's lowest point (bottom of the chamber)."),
        Column("rim_elev", "float", "m", derived="sampled from the DEM at the node",
               aliases=("rim", "rim_level", "ground_elev", "ground", "surface_elev", "cover_level",
                        "地面标高", "井面标高", "井盖标高", "地面高程"),
               description="Ground (cover) elevation at the node."),
        Column("max_depth", "float", "m", derived="rim_elev - invert_elev",
               minimum=0.0, exclusive=True, aliases=("depth", "maxdepth", "井深"),
               description="Depth from invert to rim; water above it floods the surface."),
        Column("storage_area", "float", "m²", minimum=0.0, exclusive=True,
               aliases=("area", "surface_area", "调蓄面积"),
               description="Plan area of a storage node (needed for kind = storage)."),
        Column("inlets", "float", "", minimum=0.0,
               aliases=("inlet_count", "n_inlets", "grates", "雨水口数", "雨水口数量"),
               description="Street inlets (雨水口) draining into the node; 0: a sealed cover "
                           "that only spills. The coupled engine's weir length and opening "
                           "scale with it (missing: [coupled] inlets_per_node)."),
        Column("inlet_capacity", "float", "m³/s", minimum=0.0,
               aliases=("capture_capacity", "收水能力", "雨水口收水能力"),
               scaled={"inlet_capacity_l_s": 1e-3, "inlet_capacity_lps": 1e-3,
                       "收水能力_l_s": 1e-3},
               description="Capture capacity of the node's inlets together (grates: 20 / 35 "
                           "/ 50 L/s single / double / triple, DOMAIN.md §3 [verify]); "
                           "missing: [coupled] inlet_capacity."),
    ),
    aliases=("node", "manholes", "junctions", "节点", "检查井"),
    description="Manholes, junctions, outfalls and storage nodes of the drainage network.",
    rules=("node_id unique", "invert_elev ≤ rim_elev", "storage nodes give storage_area"),
)

CONDUITS = Layer(
    "conduits", "LineString",
    (
        Column("link_id", "str", required=True,
               aliases=("conduit_id", "pipe_id", "link", "管段编号", "管线编号", "管道编号", *_ID),
               description="Unique id of the conduit."),
        Column("from_node", "str", derived="the node within the snap tolerance of the first vertex",
               aliases=("from", "us_node", "upstream_node", "inlet_node", "node1", "起点", "起点编号",
                        "起点井号", "起始井", "上游节点"),
               description="Upstream node (the line is drawn from it)."),
        Column("to_node", "str", derived="the node within the snap tolerance of the last vertex",
               aliases=("to", "ds_node", "downstream_node", "outlet_node", "node2", "终点", "终点编号",
                        "终点井号", "终止井", "下游节点"),
               description="Downstream node (the line is drawn to it)."),
        Column("shape", "str", default="circular",
               choices=("circular", "rect_closed", "rect_open", "other"),
               value_aliases=_SHAPES, aliases=("xsection", "断面形式", "管道形状", "形状", "断面"),
               description="Cross-section shape. rect_open: open rectangular channel (no top "
                           "in the wetted perimeter); other: any other section, its full-flow "
                           "area and hydraulic radius given in extra columns full_area (m²) and "
                           "hydraulic_radius (m) (SWMM models: computed from the SWMM shape)."),
        Column("diameter", "float", "m", minimum=0.0, exclusive=True, maximum=10.0,
               aliases=("diam", "dia", "geom1", "管径"),
               scaled={"diameter_mm": 0.001, "dia_mm": 0.001, "管径_mm": 0.001, "管径(mm)": 0.001,
                       "管径mm": 0.001},
               description="Inside diameter (needed for circular conduits)."),
        Column("height", "float", "m", minimum=0.0, exclusive=True, maximum=20.0,
               aliases=("管高", "高度", "高"), scaled={"height_mm": 0.001, "管高(mm)": 0.001},
               description="Inside height (rect_closed, rect_open; full height of other)."),
        Column("width", "float", "m", minimum=0.0, exclusive=True, maximum=50.0,
               aliases=("管宽", "宽度", "宽", "geom2"), scaled={"width_mm": 0.001, "管宽(mm)": 0.001},
               description="Inside width (rect_closed, rect_open; largest width of other)."),
        Column("roughness", "float", "s/m^(1/3)", default=0.013, minimum=0.0, exclusive=True,
               maximum=0.1, aliases=("n", "manning", "manning_n", "糙率", "粗糙系数"),
               description="Manning n (0.013: concrete, DOMAIN.md §2)."),
        Column("length", "float", "m", derived="length of the geometry", minimum=0.0,
               exclusive=True, aliases=("len", "长度", "管长"),
               description="Conduit length."),
        Column("in_offset", "float", "m", default=0.0, derived="in_invert - invert_elev of from_node",
               aliases=("offset1", "inlet_offset", "us_offset", "起点偏移"),
               description="Height of the conduit invert above the upstream node invert."),
        Column("out_offset", "float", "m", default=0.0, derived="out_invert - invert_elev of to_node",
               aliases=("offset2", "outlet_offset", "ds_offset", "终点偏移"),
               description="Height of the conduit invert above the downstream node invert."),
        Column("in_invert", "float", "m",
               aliases=("us_invert", "invert_up", "upstream_invert", "起点管底标高", "上游管底标高",
                        "起点管内底标高"),
               description="Absolute invert at the upstream end; sets in_offset when given."),
        Column("out_invert", "float", "m",
               aliases=("ds_invert", "invert_dn", "downstream_invert", "终点管底标高",
                        "下游管底标高", "终点管内底标高"),
               description="Absolute invert at the downstream end; sets out_offset when given."),
    ),
    aliases=("conduit", "pipes", "pipe", "links", "管线", "管段", "管道"),
    description="Gravity pipes and culverts, drawn from the upstream to the downstream node.",
    rules=("link_id unique", "from_node and to_node exist in nodes",
           "line ends within the snap tolerance of their nodes (then snapped onto them)",
           "circular: diameter > 0; rect_closed: height > 0 and width > 0",
           "offsets ≥ 0 (a conduit cannot start below its node's invert)"),
)

PUMPS = Layer(
    "pumps", None,
    (
        Column("pump_id", "str", required=True, aliases=("pump", "泵编号", "水泵编号", *_ID),
               description="Unique id of the pump."),
        Column("station_id", "str", required=True, aliases=("station", "泵站编号", "泵站"),
               description="Station the pump belongs to."),
        Column("from_node", "str", required=True,
               aliases=("from", "inlet_node", "wet_well", "进水节点", "吸水井"),
               description="Node the pump draws from (wet well)."),
        Column("to_node", "str", required=True, aliases=("to", "outlet_node", "出水节点"),
               description="Node the pump delivers to."),
        Column("capacity", "float", "m³/s", required=True, minimum=0.0, exclusive=True,
               aliases=("q", "flow", "design_flow", "capacity_m3s", "流量", "设计流量"),
               scaled={"capacity_l_s": 0.001, "capacity_lps": 0.001, "流量(l/s)": 0.001,
                       "capacity_m3h": 1 / 3600, "流量(m3/h)": 1 / 3600},
               description="Rated flow of the pump."),
        Column("on_depth", "float", "m", default=0.0, minimum=0.0,
               aliases=("startup_depth", "start_depth", "启泵水深", "开泵水深"),
               description="Wet-well depth at which the pump starts (0: whenever there is water, "
                           "SWMM's default)."),
        Column("off_depth", "float", "m", default=0.0, minimum=0.0,
               aliases=("shutoff_depth", "stop_depth", "停泵水深"),
               description="Wet-well depth at which the pump stops."),
    ),
    aliases=("pump", "水泵"),
    description="Pumps; geometry is not needed (a table is enough).",
    rules=("pump_id unique", "station_id exists in stations", "from_node and to_node exist in nodes",
           "off_depth ≤ on_depth"),
)

STATIONS = Layer(
    "stations", "Point",
    (
        Column("station_id", "str", required=True, aliases=("泵站编号", *_ID),
               description="Unique id of the pump station."),
        Column("name", "str", derived="station_id", aliases=("泵站名称", *_NAME),
               description="Name shown in reports."),
        Column("equipment_elev", "float", "m", derived="ground (DEM) + equipment_height",
               aliases=("equipment_level", "设备标高", "电气设备标高"),
               description="Elevation of the electrical equipment; the station fails when water "
                           "rises above it (DOMAIN.md §6)."),
        Column("equipment_height", "float", "m", minimum=0.0,
               aliases=("设备高度", "设备离地高度"),
               description="Equipment height above ground, used when equipment_elev is not given."),
    ),
    aliases=("station", "pump_stations", "pumpstations", "泵站"),
    description="Pump stations.",
    rules=("station_id unique", "every station has at least one pump",
           "equipment_elev or equipment_height given"),
)

REGULATORS = Layer(
    "regulators", None,
    (
        Column("link_id", "str", required=True,
               aliases=("regulator_id", "weir_id", "orifice_id", "堰编号", "孔口编号", *_ID),
               description="Unique id of the weir, orifice or outlet."),
        Column("kind", "str", required=True, choices=("weir", "orifice", "outlet", "inlet"),
               value_aliases={"weirs": "weir", "堰": "weir", "溢流堰": "weir",
                              "orifices": "orifice", "孔口": "orifice", "闸孔": "orifice",
                              "outlets": "outlet", "出流": "outlet", "节流管": "outlet",
                              "inlets": "inlet", "截流口": "inlet"},
               aliases=("type", "类型"),
               description="Regulator type; inlet: a street inlet passing water from a "
                           "surface (street) node down into a sewer node."),
        Column("from_node", "str", required=True, aliases=("from", "inlet_node", "进水节点"),
               description="Node it draws from."),
        Column("to_node", "str", required=True, aliases=("to", "outlet_node", "出水节点"),
               description="Node it discharges to."),
        Column("crest_height", "float", "m", default=0.0, minimum=0.0,
               aliases=("crest", "offset", "堰顶高度"),
               description="Height of the crest or opening bottom above from_node's invert."),
        Column("capacity", "float", "m³/s", minimum=0.0,
               aliases=("q", "max_flow", "流量"), scaled={"capacity_l_s": 0.001},
               description="Largest flow it passes, when known."),
    ),
    aliases=("regulator", "weirs", "orifices", "控制构筑物"),
    description="Weirs, orifices, outlets and street inlets between two nodes (optional); "
                "geometry is not needed.",
    rules=("link_id unique", "from_node and to_node exist in nodes"),
)

SUBCATCHMENTS = Layer(
    "subcatchments", "Polygon",
    (
        Column("subcatchment_id", "str", required=True,
               aliases=("subcatchment", "catchment_id", "汇水区编号", *_ID),
               description="Unique id of the subcatchment."),
        Column("outlet", "str", required=True, aliases=("outlet_node", "outlet_id", "出口节点"),
               description="node_id receiving the runoff."),
        Column("imperviousness", "float", "0-1", minimum=0.0, maximum=1.0,
               aliases=("imperv", "impervious", "不透水率"),
               scaled={"imperv_pct": 0.01, "pct_imperv": 0.01, "不透水率(%)": 0.01},
               description="Impervious fraction."),
        Column("runoff_coeff", "float", "0-1", minimum=0.0, maximum=1.0,
               aliases=("psi", "runoff_coefficient", "径流系数"),
               description="Rational-method runoff coefficient ψ."),
        Column("area", "float", "m²", derived="area of the geometry", minimum=0.0, exclusive=True,
               aliases=("面积",), scaled={"area_ha": 1e4, "area_hm2": 1e4},
               description="Plan area."),
    ),
    aliases=("subcatchment", "catchments", "汇水区"),
    description="Subcatchments draining to network nodes (optional).",
    rules=("subcatchment_id unique", "outlet exists in nodes"),
)

UNDERGROUND = Layer(
    "underground", "Polygon",
    (
        Column("space_id", "str", required=True, aliases=("space", "空间编号", *_ID),
               description="Unique id of the underground space."),
        Column("kind", "str", required=True,
               choices=("metro_station", "car_park", "basement", "underpass", "tunnel"),
               value_aliases=_SPACE_KINDS, aliases=("type", "类型", "空间类型"),
               description="Type of space."),
        Column("name", "str", derived="space_id", aliases=_NAME, description="Name shown in reports."),
        Column("floor_elev", "float", "m", derived="ground (DEM, lowest cell under the polygon) "
               "- depth", aliases=("floor_level", "底板标高", "地面层标高"),
               description="Elevation of the lowest floor (the sag for underpasses and tunnels)."),
        Column("depth", "float", "m", minimum=0.0, exclusive=True, aliases=("埋深", "地下深度"),
               description="Depth of the floor below ground, used when floor_elev is not given."),
        Column("floor_area", "float", "m²", derived="area of the geometry", minimum=0.0,
               exclusive=True, aliases=("area", "面积", "建筑面积"),
               description="Floor area that inflow spreads over."),
        Column("volume", "float", "m³", minimum=0.0, exclusive=True, aliases=("容积", "体积"),
               description="Volume that can hold water (optional)."),
        Column("critical_elev", "float", "m", derived="floor_elev + critical_height",
               aliases=("critical_level", "equipment_elev", "设备标高", "关键设备标高"),
               description="Elevation of critical (power) equipment inside."),
        Column("critical_height", "float", "m", minimum=0.0,
               aliases=("equipment_height", "设备高度"),
               description="Critical equipment height above the floor, used when critical_elev "
                           "is not given."),
    ),
    aliases=("underground_spaces", "spaces", "地下空间"),
    description="Underground spaces: metro stations, car parks, basements, underpasses, tunnels.",
    rules=("space_id unique", "floor_elev or depth given", "critical_elev ≥ floor_elev"),
)

ENTRANCES = Layer(
    "entrances", "Point",
    (
        Column("entrance_id", "str", required=True, aliases=("entrance", "出入口编号", *_ID),
               description="Unique id of the entrance."),
        Column("space_id", "str", derived="the underground space the point lies on or in",
               aliases=("space", "空间编号"), description="Space the entrance leads into."),
        Column("sill_height", "float", "m", derived="default for the space kind (config)",
               minimum=0.0, aliases=("sill", "threshold", "门槛高度", "挡水高度", "台阶高度"),
               description="Height of the sill (platform, ramp hump) above the outside ground."),
        Column("width", "float", "m", derived="default for the space kind (config)", minimum=0.0,
               exclusive=True, aliases=("opening_width", "宽度", "口宽"),
               description="Width of the opening water can flow through."),
    ),
    aliases=("entrance", "exits", "出入口"),
    description="Entrances of underground spaces.",
    rules=("entrance_id unique", "each entrance lies on or within the entrance tolerance of a "
           "space (its own, when space_id is given)"),
)

FACILITIES = Layer(
    "facilities", "Point",
    (
        Column("facility_id", "str", required=True, aliases=("facility", "设施编号", *_ID),
               description="Unique id of the facility."),
        Column("kind", "str", required=True,
               choices=("substation", "hospital", "water_plant", "other"),
               value_aliases=_FACILITY_KINDS, aliases=("type", "类型"),
               description="Type of facility."),
        Column("name", "str", derived="facility_id", aliases=_NAME, description="Name."),
        Column("equipment_elev", "float", "m", derived="ground (DEM) + equipment_height",
               aliases=("equipment_level", "设备标高"),
               description="Elevation of its critical equipment."),
        Column("equipment_height", "float", "m", minimum=0.0, aliases=("设备高度",),
               description="Equipment height above ground, used when equipment_elev is not given."),
    ),
    aliases=("facility", "critical_facilities", "重要设施"),
    description="Critical facilities: substations, hospitals, water plants.",
    rules=("facility_id unique", "equipment_elev or equipment_height given"),
)

OBSERVED = Layer(
    "observed", "Point",
    (
        Column("point_id", "str", required=True, aliases=("point", "积水点编号", *_ID),
               description="Unique id of the observed waterlogging point."),
        Column("name", "str", aliases=_NAME, description="Place name."),
        Column("depth", "float", "m", minimum=0.0, aliases=("积水深度", "水深"),
               scaled={"depth_cm": 0.01, "积水深度(cm)": 0.01}, description="Observed depth."),
        Column("date", "date", aliases=("event_date", "日期"), description="Date of the event."),
    ),
    aliases=("observed_points", "waterlogging_points", "易涝点", "积水点"),
    description="Waterlogging points observed in past events.",
)

BUILDINGS = Layer(
    "buildings", "Polygon",
    (
        Column("building_id", "str", derived="row number", aliases=("building", "建筑编号", *_ID),
               description="Id of the building footprint."),
        Column("height", "float", "m", minimum=0.0, aliases=("建筑高度", "高度"),
               description="Building height (optional)."),
    ),
    aliases=("building", "footprints", "建筑", "建筑物"),
    description="Building footprints.",
)

LANDCOVER = Layer(
    "landcover", "Polygon",
    (
        Column("landcover_id", "str", derived="row number", aliases=("地块编号", *_ID),
               description="Id of the polygon (several polygons may share a class)."),
        Column("class", "str", required=True, aliases=("landcover", "lc_class", "用地类型", "类别"),
               description="Land cover class; known classes take their roughness and "
                           "imperviousness from the landcover table of the study config."),
        Column("roughness", "float", "s/m^(1/3)", derived="class table (config)", minimum=0.0,
               exclusive=True, maximum=1.0, aliases=("n", "manning", "糙率"),
               description="Surface Manning n."),
        Column("imperviousness", "float", "0-1", derived="class table (config)", minimum=0.0,
               maximum=1.0, aliases=("imperv", "不透水率"), description="Impervious fraction."),
    ),
    aliases=("land_cover", "lulc", "土地覆盖", "下垫面"),
    description="Land cover polygons.",
)

ROADS = Layer(
    "roads", "LineString",
    (
        Column("road_id", "str", derived="row number", aliases=("road", "道路编号", *_ID),
               description="Id of the road centreline."),
        Column("name", "str", aliases=("road_name", "道路名称", *_NAME),
               description="Road name, shown with the waterlogging points on it."),
        Column("width", "float", "m", minimum=0.0, exclusive=True,
               aliases=("road_width", "道路宽度", "路宽"),
               description="Width between kerbs or of the corridor (optional)."),
    ),
    aliases=("road", "streets", "road_centrelines", "道路", "路网"),
    description="Road centrelines (optional): the waterlogging points say which road they "
                "sit on.",
)

NETWORK_LAYERS: tuple[Layer, ...] = (NODES, CONDUITS, PUMPS, STATIONS, REGULATORS,
                                     SUBCATCHMENTS)
ASSET_LAYERS: tuple[Layer, ...] = (UNDERGROUND, ENTRANCES, FACILITIES, OBSERVED, BUILDINGS, LANDCOVER,
                                   ROADS)
LAYERS: dict[str, Layer] = {lyr.name: lyr for lyr in NETWORK_LAYERS + ASSET_LAYERS}


def layer(name: str) -> Layer:
    """The schema of the layer called ``name``."""
    return LAYERS[name]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def schema_markdown() -> str:
    """Render every layer as a Markdown table (the README's schema section)."""
    out: list[str] = []
    for lyr in LAYERS.values():
        geom = lyr.geometry or "no geometry"
        out.append(f"#### `{lyr.name}` ({geom})\n")
        out.append(f"{lyr.description} Layer name aliases: {', '.join(lyr.aliases) or 'none'}.\n")
        out.append("| column | unit | required / default | aliases | meaning |")
        out.append("|---|---|---|---|---|")
        for c in lyr.columns:
            if c.required:
                need = "required"
            elif c.default is not None:
                need = f"default {c.default}"
            elif c.derived:
                need = f"default: {c.derived}"
            else:
                need = "optional"
            if c.choices:
                need += "; one of " + ", ".join(f"`{v}`" for v in c.choices)
            names = list(c.aliases) + [f"{a} (×{f:g})" for a, f in c.scaled.items()]
            out.append(
                f"| `{c.name}` | {c.unit or '-'} | {_cell(need)} | {_cell(', '.join(names))} "
                f"| {_cell(c.description)} |"
            )
        if lyr.rules:
            out.append("\nChecks: " + "; ".join(lyr.rules) + ".")
        out.append("")
    return "\n".join(out)
