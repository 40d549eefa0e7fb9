"""Edits the measures register the way a QGIS user does, headless: QGIS's own WFS provider with an authentication
configuration of the Basic method (user name and the API key as password). Adds a polygon measure, changes an
attribute of it, deletes an existing measure, and prints what QGIS saw as one JSON object on the last line.

Usage: QT_QPA_PLATFORM=offscreen python3 edit_measures.py <service base url> <api key> <id of a measure to delete>
"""
import json
import os
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
profile = tempfile.mkdtemp(prefix="qgis-profile-")
os.environ["QGIS_AUTH_DB_DIR_PATH"] = profile

from qgis.core import (  # noqa: E402
    QgsApplication, QgsAuthMethodConfig, QgsFeature, QgsFeatureRequest, QgsGeometry, QgsVectorDataProvider, QgsVectorLayer,
)

base, key, to_delete = sys.argv[1], sys.argv[2], sys.argv[3]
app = QgsApplication([], False, profile)
app.initQgis()
from qgis.core import Qgis  # noqa: E402
result = {"qgis": Qgis.QGIS_VERSION}
try:
    auth = QgsApplication.authManager()
    auth.setMasterPassword("headless-test", True)
    config = QgsAuthMethodConfig("Basic")
    config.setName("spatialregion editor")
    config.setConfig("username", "qgis")
    config.setConfig("password", key)
    ok = auth.storeAuthenticationConfig(config)
    if isinstance(ok, tuple):
        ok = ok[0]
    result["auth_stored"] = bool(ok)

    uri = f"url='{base}/wfs' typename='sr:measures' version='2.0.0' authcfg={config.id()}"
    layer = QgsVectorLayer(uri, "measures", "WFS")
    result["valid"] = layer.isValid()
    if not layer.isValid():
        raise SystemExit(json.dumps(result))
    caps = layer.dataProvider().capabilities()
    result["can_add"] = bool(caps & QgsVectorDataProvider.AddFeatures)
    result["can_change"] = bool(caps & QgsVectorDataProvider.ChangeAttributeValues)
    result["can_delete"] = bool(caps & QgsVectorDataProvider.DeleteFeatures)
    result["features_before"] = layer.featureCount()

    fields = layer.fields()
    # A 3 km square drawn in the layer's CRS (SWEREF 99 TM), west of Östersund.
    feature = QgsFeature(fields)
    feature.setAttribute("id", "rjh-qgis-square")
    feature.setAttribute("title", "Cykelstråk (drawn in QGIS)")
    feature.setAttribute("status", "planned")
    feature.setAttribute("programme", "Regional transportplan")
    feature.setAttribute("fund", "Regional")
    feature.setAttribute("themes", "transport")
    feature.setAttribute("start_date", "2026-01-01")
    feature.setAttribute("end_date", "2027-12-31")
    feature.setAttribute("granted_sek", 1250000)
    feature.setGeometry(QgsGeometry.fromWkt(
        "MultiPolygon (((460000 7005000, 463000 7005000, 463000 7008000, 460000 7008000, 460000 7005000)))"))
    layer.startEditing()
    layer.addFeature(feature)
    result["insert_committed"] = layer.commitChanges()
    result["insert_errors"] = layer.commitErrors()

    layer.dataProvider().reloadData()
    layer.reload()
    added = [f for f in layer.getFeatures(QgsFeatureRequest().setFilterExpression("\"id\" = 'rjh-qgis-square'"))]
    result["found_after_insert"] = len(added)
    if added:
        layer.startEditing()
        layer.changeAttributeValue(added[0].id(), fields.indexOf("status"), "decided")
        result["update_committed"] = layer.commitChanges()
        result["update_errors"] = layer.commitErrors()

    victims = [f for f in layer.getFeatures(QgsFeatureRequest().setFilterExpression(f"\"id\" = '{to_delete}'"))]
    result["found_to_delete"] = len(victims)
    if victims:
        layer.startEditing()
        layer.deleteFeature(victims[0].id())
        result["delete_committed"] = layer.commitChanges()
        result["delete_errors"] = layer.commitErrors()
finally:
    print(json.dumps(result), flush=True)
    # QGIS 3.22 may crash while tearing down headless (exit code 139) after everything is done; leave without it.
    os._exit(0)
