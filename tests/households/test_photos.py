"""Household photos: metadata stripped, turned upright, resized, thumbnailed; bad files refused; completeness."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image

from puhui.households import photos, services
from puhui.households.models import Household, Photo
from puhui.households.photos import photo_add
from puhui.households.profile_rules import ProfileInvalid
from puhui.org import roles
from puhui.org.models import Grid


def jpeg_bytes(size=(3000, 2000), *, orientation=None, taken="2019:05:06 07:08:09", offset=None) -> bytes:
    """A camera-like JPEG: EXIF with GPS, device, owner and date, plus a comment with a phone number."""
    image = Image.new("RGB", size, (200, 120, 40))
    image.paste((20, 60, 200), (0, 0, size[0] // 2, size[1] // 3))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Artist] = "Wang Daming"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (29.0, 12.0, 30.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (119.0, 27.0, 41.0)
    details = exif.get_ifd(ExifTags.IFD.Exif)
    if taken:
        details[ExifTags.Base.DateTimeOriginal] = taken
    if offset:
        details[ExifTags.Base.OffsetTimeOriginal] = offset
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"owner 13812345678", quality=90)
    return buffer.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def household(world) -> Household:
    return services.household_save(
        user=world.users[roles.HEAD_OFFICE],
        household=Household(village=world.village_mine),
        fields={"grid": world.grid_mine, "number": "001"},
    )


@pytest.fixture
def manager(world):
    return world.users[roles.ACCOUNT_MANAGER]


def test_the_test_photo_really_carries_gps():
    exif = Image.open(io.BytesIO(jpeg_bytes((64, 48)))).getexif()
    assert exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"


def test_stored_copy_has_no_exif_gps_or_comment(household, manager):
    photo = photo_add(user=manager, household=household, kind="house", upload=upload(jpeg_bytes()))
    data = photo.image.read()
    assert b"Exif" not in data and b"TestPhone" not in data and b"13812345678" not in data
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "JPEG"
    assert len(stored.getexif()) == 0 and not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(stored.info)
    assert (stored.width, stored.height) == (photo.width, photo.height) == (2560, 1707)
    thumbnail = Image.open(photo.thumbnail)
    assert max(thumbnail.size) <= 320 and len(thumbnail.getexif()) == 0
    assert photo.uploaded_by == manager and photo.kind == "house"


def test_taken_at_comes_from_exif_date_time_original(household, manager):
    photo = photo_add(user=manager, household=household, kind="house", upload=upload(jpeg_bytes((80, 60))))
    shanghai = ZoneInfo("Asia/Shanghai")
    assert photo.taken_at == datetime.datetime(2019, 5, 6, 7, 8, 9, tzinfo=shanghai)
    with_offset = jpeg_bytes((80, 60), offset="+00:00")
    photo = photo_add(user=manager, household=household, kind="house", upload=upload(with_offset))
    assert photo.taken_at == datetime.datetime(2019, 5, 6, 7, 8, 9, tzinfo=datetime.UTC)
    photo = photo_add(user=manager, household=household, kind="house", upload=upload(jpeg_bytes((80, 60), taken=None)))
    assert photo.taken_at is None
    broken = jpeg_bytes((80, 60), taken="not a date")
    assert photo_add(user=manager, household=household, kind="house", upload=upload(broken)).taken_at is None


def test_exif_orientation_is_applied(household, manager):
    # Orientation 6: the camera held upright wrote a landscape sensor image to be turned 90° clockwise.
    photo = photo_add(
        user=manager, household=household, kind="family", upload=upload(jpeg_bytes((400, 200), orientation=6))
    )
    assert (photo.width, photo.height) == (200, 400)
    assert Image.open(photo.image).size == (200, 400)


def test_png_with_transparency_becomes_a_jpeg(household, manager):
    buffer = io.BytesIO()
    Image.new("RGBA", (50, 40), (0, 0, 0, 0)).save(buffer, "PNG")
    photo = photo_add(user=manager, household=household, kind="other", upload=upload(buffer.getvalue(), "a.png"))
    stored = Image.open(photo.image)
    assert stored.format == "JPEG" and stored.mode == "RGB" and stored.getpixel((5, 5)) == (255, 255, 255)


def _refusal(household, manager, data: bytes, kind: str = "house", name: str = "photo.jpg") -> dict:
    with pytest.raises(ProfileInvalid) as caught:
        photo_add(user=manager, household=household, kind=kind, upload=upload(data, name))
    assert not Photo.objects.exists()
    return caught.value.errors


def test_a_non_image_is_refused(household, manager):
    assert set(_refusal(household, manager, b"%PDF-1.4 not a photo")) == {"image"}
    assert set(_refusal(household, manager, b"")) == {"image"}


def test_a_damaged_jpeg_is_refused(household, manager):
    data = jpeg_bytes((800, 600))
    assert set(_refusal(household, manager, data[: len(data) // 2])) == {"image"}


def test_an_unaccepted_format_is_refused(household, manager):
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buffer, "BMP")
    assert set(_refusal(household, manager, buffer.getvalue(), name="a.bmp")) == {"image"}


def test_an_oversize_file_is_refused(household, manager, settings):
    assert settings.PUHUI_PHOTO_MAX_BYTES == 10 * 1024 * 1024
    data = jpeg_bytes((64, 48))
    oversize = data + b"\0" * (settings.PUHUI_PHOTO_MAX_BYTES + 1 - len(data))
    errors = _refusal(household, manager, oversize)
    assert set(errors) == {"image"} and "10" in errors["image"]


def test_a_file_larger_than_it_claims_is_refused(household, manager, settings):
    settings.PUHUI_PHOTO_MAX_BYTES = 1000
    file = upload(jpeg_bytes((300, 300)))
    file.size = 10  # a client can declare any size
    with pytest.raises(ProfileInvalid):
        photo_add(user=manager, household=household, kind="house", upload=file)


def test_decompression_bombs_are_refused(household, manager, monkeypatch):
    data = jpeg_bytes((200, 200))
    monkeypatch.setattr(photos, "MAX_PIXELS", 100 * 100)
    assert set(_refusal(household, manager, data)) == {"image"}
    # Pillow's own guard is honoured too, at its warning level.
    monkeypatch.setattr(photos, "MAX_PIXELS", 10**9)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 150 * 150)
    assert set(_refusal(household, manager, data)) == {"image"}


def test_an_unknown_kind_is_refused(household, manager):
    assert set(_refusal(household, manager, jpeg_bytes((64, 48)), kind="selfie")) == {"kind"}


def test_completeness_rises_with_house_and_family_photos(household, manager):
    household.refresh_from_db()
    start = household.completeness
    assert {"photo_house", "photo_family"} <= set(household.missing_items)
    photo_add(user=manager, household=household, kind="house", upload=upload(jpeg_bytes((64, 48))))
    household.refresh_from_db()
    assert household.completeness == start + 5 and "photo_house" not in household.missing_items
    photo_add(user=manager, household=household, kind="family", upload=upload(jpeg_bytes((64, 48))))
    household.refresh_from_db()
    assert household.completeness == start + 10 and "photo_family" not in household.missing_items
    photo_add(user=manager, household=household, kind="business", upload=upload(jpeg_bytes((64, 48))))
    household.refresh_from_db()
    assert household.completeness == start + 10


# --- through the pages -----------------------------------------------------------------------------------------


def test_photo_page_uploads_and_serves_within_scope(world, household, manager, login):
    client = login(manager)
    url = reverse("photo-create", args=[household.pk])
    html = client.get(url).content.decode()
    assert 'accept="image/*"' in html and 'capture="environment"' in html
    response = client.post(url, {"kind": "house", "image": upload(jpeg_bytes((640, 480)))})
    assert response.status_code == 302
    photo = Photo.objects.get()
    detail = client.get(reverse("household-detail", args=[household.pk])).content.decode()
    assert reverse("photo-thumbnail", args=[photo.pk]) in detail
    assert photo.image.url not in detail  # never a public media address
    for name in ("photo-image", "photo-thumbnail"):
        served = client.get(reverse(name, args=[photo.pk]))
        assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
        assert b"Exif" not in b"".join(served.streaming_content)
    other = Grid.objects.get(village=world.village_other).account_manager
    assert login(other).get(reverse("photo-image", args=[photo.pk])).status_code == 404
    assert login(world.users[roles.FARMER]).get(reverse("photo-thumbnail", args=[photo.pk])).status_code == 403


def test_photo_page_shows_the_refusal_on_the_image_field(household, manager, login):
    client = login(manager)
    bad = upload(b"GIF89a? no", "x.jpg")
    response = client.post(reverse("photo-create", args=[household.pk]), {"kind": "house", "image": bad})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["image"]
    assert not Photo.objects.exists()


def test_a_damaged_jpeg_is_refused_after_the_pdf_renderer_is_loaded(household, manager):
    # weasyprint turns on Pillow's LOAD_TRUNCATED_IMAGES when imported; the documents module turns it off again
    from puhui.deliberation.documents import html_to_pdf

    html_to_pdf("<p>公示</p>")

    data = jpeg_bytes((800, 600))
    assert set(_refusal(household, manager, data[: len(data) // 2])) == {"image"}
