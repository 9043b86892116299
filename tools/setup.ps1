# Windows equivalent of tools/setup.sh: checks for ffmpeg and a Chromium-based browser, restores the pinned local .NET
# tools and builds in Release. Usage (PowerShell, from anywhere):  tools/setup.ps1 [-Cuda]
# -Cuda builds against libtorch-cuda-12.8-win-x64 instead of libtorch-cpu-win-x64 (see environment.md). Not run on Windows
# by the project's CI; the dotnet commands are the same ones the Linux script runs.
param([switch]$Cuda)
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
$torch = if ($Cuda) { "cuda" } else { "cpu" }

if (-not (Get-Command ffmpeg -ErrorAction SilentlyContinue)) {
    Write-Error "ffmpeg is not on PATH: install it (winget install Gyan.FFmpeg) and open a new terminal"
}
$browsers = @("$env:ProgramFiles\Google\Chrome\Application\chrome.exe", "${env:ProgramFiles(x86)}\Microsoft\Edge\Application\msedge.exe",
              "$env:ProgramFiles\Microsoft\Edge\Application\msedge.exe")
if (-not $env:CHROMIUM_PATH -and -not ($browsers | Where-Object { Test-Path $_ })) {
    Write-Warning "no Chrome or Edge found: figures will be written as HTML only (set CHROMIUM_PATH to enable PNG export)"
}

$env:DOTNET_CLI_TELEMETRY_OPTOUT = "1"; $env:DOTNET_NOLOGO = "1"
dotnet tool restore | Out-Null
Write-Host "setup: building (Release, libtorch $torch)"
dotnet build MjVideo.slnx -c Release -v quiet -nologo -clp:ErrorsOnly "-p:MjVideoTorch=$torch"
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
