"""Read the product catalogues and the product types in force (decided versions only).

Proposed and standardised versions are the agency's internal drafts; tasks only use
product types of decided versions, so that is all an integration sees.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Path, Query, Router

from thuocdo.api.auth import client_of
from thuocdo.api.org import _page
from thuocdo.api.schemas import COMMON_ERRORS, NOT_FOUND, Page
from thuocdo.api.schemas_work import (
    MAX_ID,
    BoundedPaging,
    CatalogueOut,
    CatalogueVersionOut,
    ProductTypeOut,
    Version,
)
from thuocdo.core.errors import NotFound
from thuocdo.org.models import JobPosition
from thuocdo.work.models import CatalogueVersion, ProductCatalogue, ProductType
from thuocdo.work.selectors import product_types_in_force

router = Router(tags=["Danh mục sản phẩm / Catalogues"])
SCOPE = "catalogue:read"
DECIDED = CatalogueVersion.Status.DECIDED


def _product_out(product: ProductType) -> ProductTypeOut:
    return ProductTypeOut(
        id=product.pk,
        code=product.code,
        name=product.name,
        unit_of_measure=product.unit_of_measure,
        coefficient=str(product.coefficient),
        complexity_group=product.complexity_group,
        catalogue_id=product.version.catalogue_id,
        version=product.version.number,
    )


@router.get(
    "/catalogues",
    response={200: Page[CatalogueOut], **COMMON_ERRORS},
    summary="Danh mục sản phẩm của cơ quan",
)
def list_catalogues(request: HttpRequest, paging: Query[BoundedPaging]) -> dict[str, object]:
    client = client_of(request, SCOPE)
    catalogues = (
        ProductCatalogue.objects.filter(agency_id=client.agency_id)
        .select_related("job_position")
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=CatalogueVersion.objects.filter(status=DECIDED).order_by("-number"),
                to_attr="decided_versions",
            )
        )
        .order_by("id")
    )
    page = _page(catalogues, paging)
    page["items"] = [
        CatalogueOut(
            id=c.pk,
            name=c.name,
            job_position_id=c.job_position_id,
            job_position_code=c.job_position.code if c.job_position else None,
            decided_version=c.decided_versions[0].number if c.decided_versions else None,
            versions=[
                CatalogueVersionOut(number=v.number, status=v.status, decided_at=v.decided_at)
                for v in c.decided_versions
            ],
        )
        for c in page["items"]  # type: ignore[attr-defined]
    ]
    return page


class VersionChoice(BoundedPaging):
    version: Version | None = None


@router.get(
    "/catalogues/{catalogue_id}/product-types",
    response={200: Page[ProductTypeOut], **COMMON_ERRORS, **NOT_FOUND},
    summary="Sản phẩm của phiên bản đã quyết định (mới nhất, hoặc ?version=N)",
)
def list_catalogue_products(
    request: HttpRequest,
    choice: Query[VersionChoice],
    catalogue_id: int = Path(..., ge=1, le=MAX_ID),
) -> dict[str, object]:
    client = client_of(request, SCOPE)
    catalogue = ProductCatalogue.objects.filter(pk=catalogue_id, agency_id=client.agency_id).first()
    if catalogue is None:
        raise NotFound(
            f"Không tìm thấy danh mục sản phẩm #{catalogue_id} trong cơ quan.",
            f"Catalogue #{catalogue_id} was not found in the agency.",
        )
    decided = catalogue.versions.filter(status=DECIDED)
    if choice.version is not None:
        decided = decided.filter(number=choice.version)
    version = decided.order_by("-number").first()
    if version is None:
        which_vi = f" số {choice.version}" if choice.version is not None else ""
        which_en = f" {choice.version}" if choice.version is not None else ""
        raise NotFound(
            f"Danh mục “{catalogue.name}” chưa có phiên bản{which_vi} được quyết định.",
            f"Catalogue {catalogue.name!r} has no decided version{which_en}.",
            field="version",
        )
    products = version.product_types.select_related("version").order_by("sort_order", "code")
    page = _page(products, choice)
    page["items"] = [_product_out(p) for p in page["items"]]  # type: ignore[attr-defined]
    return page


class InForce(BoundedPaging):
    job_position_id: int | None = None


@router.get(
    "/product-types",
    response={200: Page[ProductTypeOut], **COMMON_ERRORS, **NOT_FOUND},
    summary="Sản phẩm đang áp dụng (danh mục theo vị trí việc làm, nếu không thì chung)",
)
def list_products_in_force(request: HttpRequest, filters: Query[InForce]) -> dict[str, object]:
    client = client_of(request, SCOPE)
    job_id = filters.job_position_id
    if job_id is not None and not (
        0 < job_id <= MAX_ID
        and JobPosition.objects.filter(pk=job_id, agency_id=client.agency_id).exists()
    ):
        raise NotFound(
            f"Không tìm thấy vị trí việc làm #{job_id} trong cơ quan.",
            f"Job position #{job_id} was not found in the agency.",
            field="job_position_id",
        )
    products = product_types_in_force(client.agency, job_position_id=job_id)
    page = _page(products.select_related("version").order_by("sort_order", "code"), filters)
    page["items"] = [_product_out(p) for p in page["items"]]  # type: ignore[attr-defined]
    return page
