"""Household photos (扫村建档): checked, turned upright, re-encoded without metadata, thumbnailed.

Phones put GPS, device and owner details in EXIF; the stored copy is a fresh JPEG that carries none of it.
"""

import datetime
import io
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageCms, ImageOps

from puhui.core.audit import set_actor
from puhui.households.models import Household, Photo
from puhui.households.profile_rules import ProfileInvalid
from puhui.households.services import household_completeness_refresh

# What phone cameras and galleries hand a browser; other decoders (EPS, PSD, …) are never reached.
# JPEG covers the multi-picture JPEGs (MPO) some phones write.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "AVIF")
MAX_PIXELS = 89_478_485  # Pillow's own decompression-bomb threshold, enforced here even if Pillow's is lifted
MAX_SIDE = 2560
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
EXIF_DATETIME_FORMAT = "%Y:%m:%d %H:%M:%S"


@dataclass(frozen=True)
class CleanPhoto:
    image: bytes
    thumbnail: bytes
    width: int
    height: int
    taken_at: datetime.datetime | None


def photo_add(*, user, household: Household, kind: str, upload) -> Photo:
    """Store a household photo; ProfileInvalid({"kind"|"image": message}) and nothing kept when refused."""
    if kind not in Photo.Kind.values:
        raise ProfileInvalid({"kind": _("Choose what the photo shows.")})
    clean = photo_clean(upload)
    photo = Photo(
        household=household,
        kind=kind,
        width=clean.width,
        height=clean.height,
        taken_at=clean.taken_at,
        uploaded_by=user,
    )
    name = uuid.uuid4().hex
    photo.image.save(f"{name}.jpg", ContentFile(clean.image), save=False)
    photo.thumbnail.save(f"{name}-thumb.jpg", ContentFile(clean.thumbnail), save=False)
    try:
        with transaction.atomic(), set_actor(user):
            photo.save()
            household_completeness_refresh(household)
    except Exception:
        _files_delete(photo)
        raise
    return photo


def _files_delete(photo: Photo) -> None:
    for field in (photo.image, photo.thumbnail):
        if field.name:
            field.storage.delete(field.name)


def photo_get(*, user, pk: int) -> Photo:
    """A photo of a household in the user's scope; 404 otherwise."""
    photo = (
        Photo.objects.filter(pk=pk, household__in=Household.objects.visible_to(user))
        .select_related("household")
        .first()
    )
    if photo is None:
        raise Http404
    return photo


def photo_clean(upload) -> CleanPhoto:
    """The upload as an upright JPEG (≤ MAX_SIDE) and thumbnail, without EXIF, ICC, XMP or comments."""
    data = _upload_bytes(upload)
    image = _image_open(data)
    taken_at = _taken_at(image)
    upright = _rgb(ImageOps.exif_transpose(image))
    upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    thumbnail = upright.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return CleanPhoto(
        image=_jpeg(upright, JPEG_QUALITY),
        thumbnail=_jpeg(thumbnail, THUMBNAIL_QUALITY),
        width=upright.width,
        height=upright.height,
        taken_at=taken_at,
    )


def _refused(message: str) -> ProfileInvalid:
    return ProfileInvalid({"image": message})


def _upload_bytes(upload) -> bytes:
    limit = settings.PUHUI_PHOTO_MAX_BYTES
    too_large = _refused(_("The photo is larger than %(mb)d MB.") % {"mb": limit // (1024 * 1024)})
    if upload is None:
        raise _refused(_("Choose a photo to upload."))
    if upload.size is not None and upload.size > limit:
        raise too_large
    upload.seek(0)
    data = upload.read(limit + 1)  # the declared size may lie
    if len(data) > limit:
        raise too_large
    if not data:
        raise _refused(_("The file is empty."))
    return data


def _image_open(data: bytes) -> Image.Image:
    """Open, verify and decode an image, refusing bombs and anything Pillow cannot read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as probe:
                _pixels_check(probe.size)
                probe.verify()
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            image.draft(None, (MAX_SIDE, MAX_SIDE))  # a JPEG far larger than kept is decoded at a reduced scale
            image.load()
    except ProfileInvalid:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except Exception as exc:  # a damaged file can make a decoder raise almost anything
        raise _refused(_("The file is not a photo that can be read (JPEG, PNG, WebP or AVIF).")) from exc
    return image


def _pixels_check(size: tuple[int, int]) -> None:
    width, height = size
    if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
        raise _too_many_pixels()


def _too_many_pixels() -> ProfileInvalid:
    return _refused(_("The photo has too many pixels to be processed."))


def _taken_at(image: Image.Image) -> datetime.datetime | None:
    """EXIF DateTimeOriginal, read as local time unless the camera wrote its offset; None when absent."""
    try:
        exif = image.getexif()
        details = exif.get_ifd(ExifTags.IFD.Exif)
        raw = details.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTimeOriginal)
        if not raw:
            return None
        moment = datetime.datetime.strptime(str(raw).strip("\x00 "), EXIF_DATETIME_FORMAT)
        offset = details.get(ExifTags.Base.OffsetTimeOriginal)
        if offset:
            return datetime.datetime.fromisoformat(moment.isoformat() + str(offset).strip("\x00 "))
        return timezone.make_aware(moment)
    except Exception:  # unreadable EXIF only loses the date, never the photo
        return None


def _rgb(image: Image.Image) -> Image.Image:
    """sRGB pixels on a white background: JPEG has no alpha, and the ICC profile is not kept."""
    icc = image.info.get("icc_profile")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            image = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unusable profile: keep the pixels as they are
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    # A copy from raw pixels: nothing of the original's info (EXIF, XMP, comment, ICC) can travel along.
    bare = Image.frombytes("RGB", image.size, image.tobytes())
    buffer = io.BytesIO()
    bare.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()
